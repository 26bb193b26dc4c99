// A standard FHIR client library (fhir-kit-client) against a running Meridian server: create, read, update, search.
// Usage: node roundtrip.mjs <baseUrl> <bearerToken>. Prints "ok" and exits 0, or prints the failure and exits 1.
import Client from 'fhir-kit-client';

const [baseUrl, token] = process.argv.slice(2);
const client = new Client({ baseUrl, customHeaders: { Authorization: `Bearer ${token}` } });
const fail = (message) => { console.error(message); process.exit(1); };

try {
  const tag = `Kit${Date.now()}`;
  const created = await client.create({
    resourceType: 'Organization',
    body: { resourceType: 'Organization', name: `${tag} Clinic`, active: true },
  });
  if (!created.id || created.meta?.versionId !== '1') fail(`create returned ${JSON.stringify(created)}`);
  const read = await client.read({ resourceType: 'Organization', id: created.id });
  if (read.name !== `${tag} Clinic`) fail(`read returned ${JSON.stringify(read)}`);
  const updated = await client.update({
    resourceType: 'Organization', id: created.id,
    body: { ...read, name: `${tag} Clinic (renamed)` },
    options: { headers: { 'If-Match': `W/"${read.meta.versionId}"` } },
  });
  if (updated.meta?.versionId !== '2') fail(`update returned ${JSON.stringify(updated)}`);
  const bundle = await client.search({ resourceType: 'Organization', searchParams: { name: tag.toLowerCase() } });
  if (bundle.total !== 1 || bundle.entry?.[0]?.resource?.name !== `${tag} Clinic (renamed)`) fail(`search returned ${JSON.stringify(bundle)}`);
  const capability = await client.capabilityStatement();
  if (capability.resourceType !== 'CapabilityStatement') fail('metadata is not a CapabilityStatement');
  console.log('ok');
} catch (e) {
  fail(`fhir-kit-client failed: ${e.message ?? e} ${JSON.stringify(e.response?.data ?? '')}`);
}
