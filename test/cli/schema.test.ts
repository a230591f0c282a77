// The typed client's types are generated from the OpenAPI document (client/generate.mjs); a
// route or schema change without `npm run client:generate` fails here.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { SCHEMA_FILE, generateSchema } from '../../client/generate.mjs';

it('client/schema.d.ts matches the OpenAPI document (else: npm run client:generate)', async () => {
  const fresh: string = await generateSchema();
  expect(fresh).toContain('"/v1/regions/{region}/slices"');
  expect(readFileSync(SCHEMA_FILE, 'utf8') === fresh, 'client/schema.d.ts is stale: run `npm run client:generate` and commit it').toBe(true);
}, 60_000);
