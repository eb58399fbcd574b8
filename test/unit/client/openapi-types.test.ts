import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { clientTypesPath, currentOpenApiDocument, generateClientTypes } from '../../../src/main/client-types.ts';

// The console is typed from the API: client/openapi.d.ts must be what the route table generates
// today. When a route changes, run `npm run generate:client` and commit the file with the change.
describe('client/openapi.d.ts', () => {
  it('is what the current route table generates (run npm run generate:client)', async () => {
    const committed = await readFile(clientTypesPath, 'utf8');
    const fresh = await generateClientTypes();
    expect(committed === fresh, 'client/openapi.d.ts is stale: run `npm run generate:client` and commit it').toBe(true);
  }, 60_000);

  it('/openapi.json resolves every reference from its root, as OpenAPI tools read it', () => {
    const document = currentOpenApiDocument();
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
    expect(JSON.stringify(document)).not.toContain('"$defs"');
  });
});
