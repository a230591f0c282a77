// The OpenAPI document that clients are generated from passes Redocly's recommended ruleset
// with no error and no warning (every operation has an operationId, servers, license, …).
import { expect, it } from 'vitest';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { buildDocument } from '../../client/generate.mjs';

it("the OpenAPI document passes Redocly's recommended rules: 0 errors, 0 warnings", async () => {
  const doc = await buildDocument();
  const problems = await lintFromString({
    source: JSON.stringify(doc), absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }),
  });
  expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`)).toEqual([]);
  // Operation ids are stable names, one per operation, for generated clients.
  const ids = Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
  expect(ids.length).toBeGreaterThanOrEqual(32);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toContain('submitSlice');
}, 60_000);
