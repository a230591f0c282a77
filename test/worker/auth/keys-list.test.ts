// GET /v1/admin/keys: the admin sees every key's id, regions, scopes and dates — never the key
// itself nor its stored hash; revoked keys only with ?all=true; region keys are refused.
import { describe, it, expect } from 'vitest';
import { api } from '../helpers.ts';
import { sha256Hex } from '../../../functions/lib/crypto.ts';

const all0 = (r: { data: { keys: unknown[] } }) => r.data.keys as any[];

describe('GET /v1/admin/keys', () => {
  it('lists keys without secrets or hashes, revoked ones on request', async () => {
    const a = (await api('/v1/admin/keys', { method: 'POST', json: { regions: ['MX', 'BR'], scopes: ['read', 'submit'], note: 'BR+MX eval bot' } })).data;
    const b = (await api('/v1/admin/keys', { method: 'POST', json: { regions: ['*'], scopes: ['read'] } })).data;
    expect((await api(`/v1/admin/keys/${b.id}`, { method: 'DELETE' })).status).toBe(200);

    const live = await api('/v1/admin/keys');
    expect(live.status).toBe(200);
    expect(live.data.keys).toEqual([{ id: a.id, regions: ['BR', 'MX'], scopes: ['read', 'submit'], note: 'BR+MX eval bot', created_at: expect.any(String), revoked_at: null }]);
    expect(all0(await api('/v1/admin/keys?all=true')).find((k: any) => k.id === b.id).note).toBeNull();
    const all = await api('/v1/admin/keys?all=true');
    expect(all.data.keys.map((k: any) => k.id).sort()).toEqual([a.id, b.id].sort());
    expect(all.data.keys.find((k: any) => k.id === b.id).revoked_at).toEqual(expect.any(String));

    const text = JSON.stringify(all.data);
    for (const k of [a.key, b.key]) {
      expect(text).not.toContain(k);
      expect(text).not.toContain(await sha256Hex(k));
    }
  });

  it('is for the admin only', async () => {
    const key = (await api('/v1/admin/keys', { method: 'POST', json: { regions: ['*'], scopes: ['read', 'submit', 'intervene'] } })).data.key;
    const r = await api('/v1/admin/keys', { token: key });
    expect(r.status).toBe(403);
    expect(r.data.error.message).toMatch(/admin/);
    expect((await api('/v1/admin/keys', { token: null })).status).toBe(401);
  });

  it('names a bad all= value', async () => {
    const r = await api('/v1/admin/keys?all=yes');
    expect(r.status).toBe(400);
    expect(r.data.error.message).toMatch(/^all: /);
  });
});
