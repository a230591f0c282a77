// Auth (SPEC §8): bearer keys, admin-created region keys stored only as hashes, region and
// scope limits (403), missing / wrong / revoked keys (401).
import { describe, it, expect } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';
import { expectError, rows, sha256Hex, uid } from '../reference.ts';

const MODEL = { id: 'avlm-auth', version: '1', stage: 'sft' } as const;

describe('missing or wrong key → 401', () => {
  for (const [name, token] of [['missing', null], ['wrong', 'not-a-key'], ['almost the admin token', 'test-admin-token-x']] as const) {
    it(`${name} key on a /v1 route`, async () => {
      const r = await api('/v1/regions', { token });
      const e = expectError(r, 401, 'unauthorized');
      expect(e.message).toMatch(/key/i);
      expect(r.data.regions).toBeUndefined();
    });
  }

  it('a non-Bearer authorization header is 401', async () => {
    const r = await api('/v1/policies', { token: null, headers: { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbg==' } });
    expectError(r, 401, 'unauthorized');
  });

  it('submitting without a key is 401 and stores nothing', async () => {
    const sliceId = uid('noauth');
    const r = await submit('BR', { slice_id: sliceId, model: MODEL, items: [item('a')] }, { token: null });
    expectError(r, 401, 'unauthorized');
    expect((await api(`/v1/regions/BR/slices/${sliceId}`)).status).toBe(404);
  });

  it('the OpenAPI document and docs need no key', async () => {
    expect((await api('/openapi.json', { token: null })).status).toBe(200);
    expect((await api('/docs', { token: null })).status).toBe(200);
  });
});

describe('admin creates region keys', () => {
  it('201 with the key shown once; only its SHA-256 is stored', async () => {
    const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR', 'AR', 'BR'], scopes: ['read', 'submit'] } });
    expect(r.status).toBe(201);
    expect(r.data).toEqual({ id: expect.any(String), key: expect.any(String), regions: ['AR', 'BR'], scopes: ['read', 'submit'], note: null });
    const { id, key } = r.data as { id: string; key: string };
    expect(key.length).toBeGreaterThanOrEqual(32);

    const stored = await rows<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = ?', id);
    expect(stored).toHaveLength(1);
    expect(stored[0].hash).toBe(await sha256Hex(key));
    expect(JSON.parse(stored[0].regions as string)).toEqual(['AR', 'BR']);
    expect(JSON.parse(stored[0].scopes as string)).toEqual(['read', 'submit']);
    // No column of any key row holds the plaintext (or a large piece of it).
    const all = await rows<Record<string, unknown>>('SELECT * FROM api_keys');
    for (const row of all) for (const v of Object.values(row)) {
      expect(String(v)).not.toContain(key);
      expect(String(v)).not.toContain(key.slice(5, 25));
    }

    // The key works …
    expect((await api('/v1/regions/BR/slices/none', { token: key })).status).toBe(404);
    // … and is never shown again: the key list holds neither it nor its hash, and a second key differs.
    const r2 = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['read'] } });
    expect(r2.status).toBe(201);
    expect(r2.data.key).not.toBe(key);
    expect(r2.data.id).not.toBe(id);
    const listed = await api('/v1/admin/keys');
    expect(listed.data.keys.map((k: { id: string }) => k.id)).toContain(id);
    expect(JSON.stringify(listed.data)).not.toContain(key.slice(5, 25));
    expect(JSON.stringify(listed.data)).not.toContain(await sha256Hex(key));
  });

  it('a note is stored with the key and returned in the create answer', async () => {
    const note = 'ingest bot for BR — owner: ana@example.org';
    const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['submit'], note } });
    expect(r.status).toBe(201);
    expect(r.data.note).toBe(note);
    const [stored] = await rows<{ note: string | null }>('SELECT note FROM api_keys WHERE id = ?', r.data.id);
    expect(stored.note).toBe(note);
    // At the limit (200 characters) it is kept whole.
    const long = 'n'.repeat(200);
    const r2 = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['read'], note: long } });
    expect(r2.data.note).toBe(long);
    expect((await rows<{ note: string }>('SELECT note FROM api_keys WHERE id = ?', r2.data.id))[0].note).toBe(long);
  });

  it('a note over 200 characters is 400 naming `note`, and no key is stored', async () => {
    const [before] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    const e = expectError(await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['read'], note: 'n'.repeat(201) } }), 400, 'invalid_request');
    expect(e.message).toContain('note');
    expect(e.details?.field).toBe('note');
    const [after] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    expect(after.n).toBe(before.n);
  });

  it('an unknown region is 400 naming `regions`', async () => {
    const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR', 'ZZ'], scopes: ['read'] } });
    const e = expectError(r, 400, 'invalid_request');
    expect(e.message).toContain('regions');
    expect(e.message).toContain('ZZ');
    expect(e.details?.field).toBe('regions');
  });

  it('a malformed region code, `*` mixed with regions, an unknown scope or no scopes are 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ regions: ['br'], scopes: ['read'] }, 'regions'],
      [{ regions: ['*', 'BR'], scopes: ['read'] }, 'regions'],
      [{ regions: ['BR'], scopes: ['write'] }, 'scopes'],
      [{ regions: ['BR'], scopes: [] }, 'scopes'],
      [{ scopes: ['read'] }, 'regions'],
    ];
    const [before] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    for (const [json, field] of cases) {
      const e = expectError(await api('/v1/admin/keys', { method: 'POST', json }), 400);
      expect(e.message, JSON.stringify(json)).toContain(field);
    }
    const [after] = await rows<{ n: number }>('SELECT count(*) AS n FROM api_keys');
    expect(after.n).toBe(before.n); // no key stored by a rejected request
  });

  it('a region key cannot create keys (403)', async () => {
    const key = await createKey(['*'], ['submit', 'read']);
    const r = await api('/v1/admin/keys', { method: 'POST', token: key, json: { regions: ['BR'], scopes: ['read'] } });
    const e = expectError(r, 403, 'forbidden');
    expect(e.message).toMatch(/admin/);
  });
});

describe('a key acts only within its regions and scopes', () => {
  it('a BR key on AR → 403, on BR → 201', async () => {
    const key = await createKey(['BR'], ['submit', 'read']);
    const sliceId = uid('scoped');
    const body = { slice_id: sliceId, model: MODEL, items: [item('a'), item('b', { prediction: { score: 0.9 } })] };

    const onAr = await submit('AR', body, { token: key });
    const e = expectError(onAr, 403, 'forbidden');
    expect(e.message).toContain('AR');
    expectError(await api(`/v1/regions/AR/slices/${sliceId}`, { token: key }), 403, 'forbidden');
    expectError(await api(`/v1/regions/AR/scorecard?model=${MODEL.id}&version=1`, { token: key }), 403, 'forbidden');
    expectError(await api(`/v1/signatures/THR.MARGIN?region=AR`, { token: key }), 403, 'forbidden');
    // Nothing was stored in AR.
    expect((await api(`/v1/regions/AR/slices/${sliceId}`)).status).toBe(404);

    const onBr = await submit('BR', body, { token: key });
    expect(onBr.status).toBe(201);
    expect(onBr.data).toMatchObject({ slice_id: sliceId, items: 2, failures: 1 });
    const read = await api(`/v1/regions/BR/slices/${sliceId}`, { token: key });
    expect(read.status).toBe(200);
    expect(read.data.items).toBe(2);
  });

  it('a read-only key submitting → 403 (and it can still read)', async () => {
    const ro = await createKey(['BR'], ['read']);
    const sliceId = uid('ro');
    const e = expectError(await submit('BR', { slice_id: sliceId, model: MODEL, items: [item('a')] }, { token: ro }), 403, 'forbidden');
    expect(e.message).toContain('submit');
    expect((await api(`/v1/regions/BR/slices/${sliceId}`)).status).toBe(404);
    expect((await api('/v1/regions', { token: ro })).status).toBe(200);
    expect((await api(`/v1/regions/BR/slices/${sliceId}`, { token: ro })).status).toBe(404); // allowed to look, nothing there
  });

  it('a submit-only key reading a slice → 403', async () => {
    const so = await createKey(['BR'], ['submit']);
    const sliceId = uid('so');
    expect((await submit('BR', { slice_id: sliceId, model: MODEL, items: [item('a')] }, { token: so })).status).toBe(201);
    const e = expectError(await api(`/v1/regions/BR/slices/${sliceId}`, { token: so }), 403, 'forbidden');
    expect(e.message).toContain('read');
  });

  it('a `*` key acts in every region', async () => {
    const any = await createKey(['*'], ['submit', 'read']);
    for (const region of ['JP', 'KE']) {
      const sliceId = uid('star');
      expect((await submit(region, { slice_id: sliceId, model: MODEL, items: [item('a')] }, { token: any })).status).toBe(201);
      expect((await api(`/v1/regions/${region}/slices/${sliceId}`, { token: any })).data.items).toBe(1);
    }
  });

  it('a revoked key → 401; revoking twice → 404', async () => {
    const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['read'] } });
    const { id, key } = r.data;
    expect((await api('/v1/regions', { token: key })).status).toBe(200);
    const rev = await api(`/v1/admin/keys/${id}`, { method: 'DELETE' });
    expect(rev.status).toBe(200);
    expect(rev.data).toEqual({ id, revoked: true });
    const after = await api('/v1/regions', { token: key });
    expectError(after, 401, 'unauthorized');
    expectError(await api(`/v1/admin/keys/${id}`, { method: 'DELETE' }), 404, 'not_found');
    // A region key cannot revoke keys.
    const other = await createKey(['BR'], ['read']);
    expectError(await api(`/v1/admin/keys/${id}`, { method: 'DELETE', token: other }), 403, 'forbidden');
  });
});
