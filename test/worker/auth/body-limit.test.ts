// Admin and intervention JSON bodies are capped (issue 12, defect 5): a body over 64 KiB is 413
// in the JSON error shape — declared by content-length or sent chunked without one — and
// nothing is written. The bodies are valid JSON padded with whitespace: without the cap they
// would be accepted.
import { describe, it, expect } from 'vitest';
import { api, chunked } from '../helpers.ts';
import { expectError, rows } from '../reference.ts';

const PAD = ' '.repeat(5 * 1024 * 1024);
const padded = (json: unknown) => JSON.stringify(json) + PAD;
const count = async (table: string) => (await rows<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0].n;

const cases: Array<{ name: string; method: string; path: string; json: unknown; table: string }> = [
  { name: 'POST /v1/admin/keys', method: 'POST', path: '/v1/admin/keys', json: { regions: ['BR'], scopes: ['read'] }, table: 'api_keys' },
  { name: 'POST /v1/admin/vendors', method: 'POST', path: '/v1/admin/vendors', json: { vendor: 'big-body', scheme: 'standard-webhooks' }, table: 'vendors' },
  { name: 'PUT /v1/regions/{region}/interventions/{signature}', method: 'PUT', path: '/v1/regions/BR/interventions/FUS.SUPPRESS', json: { interventions: [{ code: 'TRAIN.MODALITY_DROPOUT', weight: 1 }] }, table: 'intervention_overrides' },
  { name: 'POST /v1/interventions', method: 'POST', path: '/v1/interventions', json: { intervention: 'INF.THRESHOLD', model: { id: 'nobody', version: '1' }, targets: { signatures: ['THR.MARGIN'], regions: ['BR'] }, applied_at: '2026-11-01T00:00:00Z' }, table: 'intervention_records' },
];

describe('JSON body cap', () => {
  for (const c of cases) {
    for (const mode of ['content-length', 'chunked'] as const) {
      it(`${c.name}: 5 MB (${mode}) → 413, nothing written`, async () => {
        const before = await count(c.table);
        const body = padded(c.json);
        const r = await api(c.path, { method: c.method, headers: { 'content-type': 'application/json' }, body: mode === 'chunked' ? chunked(body) : body });
        const e = expectError(r, 413, 'payload_too_large');
        expect(e.message).toBe('body: larger than 65536 bytes');
        expect(e.details).toEqual({ field: 'body' });
        expect(await count(c.table)).toBe(before);
      });
    }
  }

  it('a small body sent chunked still reaches the handler', async () => {
    const before = await count('api_keys');
    const r = await api('/v1/admin/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked(JSON.stringify({ regions: ['BR'], scopes: ['read'] }) + ' '.repeat(1000), 100) });
    expect(r.status).toBe(201);
    expect(r.data.regions).toEqual(['BR']);
    expect(await count('api_keys')).toBe(before + 1);
  });

  it('without a valid key the body is not read (401 first)', async () => {
    expectError(await api('/v1/admin/keys', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: padded({}) }), 401, 'unauthorized');
  });
});
