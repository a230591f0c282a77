// Subscriptions (SPEC §13): admin only, a whsec_ secret shown once and sealed at rest, the URL,
// regions and events validated with a 400 naming the field, listing and deletion.
import { env } from 'cloudflare:workers';
import { describe, it, expect } from 'vitest';
import { api, createKey } from '../helpers.ts';
import { rows } from '../reference.ts';

const ok = { url: 'https://hooks.example.com/avlm', regions: ['BR'], events: ['slice.completed'] };

describe('subscriptions', () => {
  it('creates one with a whsec_ secret of 32 random bytes, shown once and sealed at rest', async () => {
    const r = await api('/v1/admin/subscriptions', { method: 'POST', json: { ...ok, regions: ['DE', 'BR', 'BR'], events: ['version.regression', 'slice.completed'] } });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ url: ok.url, regions: ['BR', 'DE'], events: ['slice.completed', 'version.regression'] });
    expect(r.data.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(atob(r.data.secret.slice(6)).length).toBe(32);
    const other = await api('/v1/admin/subscriptions', { method: 'POST', json: ok });
    expect(other.data.secret).not.toBe(r.data.secret);

    const [row] = await rows<{ secret: string }>('SELECT secret FROM subscriptions WHERE id = ?', r.data.id);
    expect(row.secret).toMatch(/^aesgcm:v1:/);
    expect(row.secret).not.toContain(r.data.secret.slice(6));

    const one = await api(`/v1/admin/subscriptions/${r.data.id}`);
    expect(one.status).toBe(200);
    expect(one.data).toEqual({ id: r.data.id, url: ok.url, regions: ['BR', 'DE'], events: ['slice.completed', 'version.regression'], created_at: r.data.created_at });
    const list = await api('/v1/admin/subscriptions');
    expect(list.data.subscriptions.map((s: any) => s.id)).toEqual(expect.arrayContaining([r.data.id, other.data.id]));
    expect(JSON.stringify(list.data)).not.toContain('whsec_');
    expect((await api(`/v1/admin/subscriptions/${r.data.id}/deliveries`)).data).toEqual({ deliveries: [] });
  });

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const before = (await rows<{ n: number }>('SELECT count(*) AS n FROM subscriptions'))[0].n;
    const cases: Array<[unknown, string]> = [
      [{ ...ok, url: 'http://hooks.example.com/x' }, 'url'],
      [{ ...ok, url: 'ftp://localhost/x' }, 'url'],
      [{ ...ok, url: 'not a url' }, 'url'],
      [{ ...ok, url: 'https://user:pw@hooks.example.com/' }, 'url'],
      [{ ...ok, url: undefined }, 'url'],
      [{ ...ok, regions: ['ZZ'] }, 'regions'],
      [{ ...ok, regions: ['*', 'BR'] }, 'regions'],
      [{ ...ok, regions: [] }, 'regions'],
      [{ ...ok, regions: ['br'] }, 'regions'],
      [{ ...ok, events: ['slice.started'] }, 'events'],
      [{ ...ok, events: [] }, 'events'],
    ];
    for (const [body, field] of cases) {
      const r = await api('/v1/admin/subscriptions', { method: 'POST', json: body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.data.error.message, JSON.stringify(body)).toContain(field);
    }
    for (const raw of ['"x"', '[]', 'null', '{']) {
      const r = await api('/v1/admin/subscriptions', { method: 'POST', body: raw, headers: { 'content-type': 'application/json' } });
      expect(r.status, raw).toBe(400);
      expect(r.data.error.code, raw).toBe('invalid_request');
    }
    expect((await rows<{ n: number }>('SELECT count(*) AS n FROM subscriptions'))[0].n).toBe(before);
  });

  it('takes http to localhost and 127.0.0.1 (a local receiver), and every region as *', async () => {
    for (const url of ['http://localhost:9999/h', 'http://127.0.0.1:9999/h']) {
      expect((await api('/v1/admin/subscriptions', { method: 'POST', json: { ...ok, url, regions: ['*'] } })).status).toBe(201);
    }
  });

  it('is admin only', async () => {
    const key = await createKey(['*'], ['submit', 'read', 'intervene']);
    expect((await api('/v1/admin/subscriptions', { method: 'POST', json: ok, token: key })).status).toBe(403);
    expect((await api('/v1/admin/subscriptions', { token: key })).status).toBe(403);
    expect((await api('/v1/admin/subscriptions', { token: null })).status).toBe(401);
  });

  it('deletes a subscription with its deliveries; unknown ids are 404', async () => {
    const r = await api('/v1/admin/subscriptions', { method: 'POST', json: ok });
    await env.DB.prepare(`INSERT INTO notify_deliveries (subscription_id, event_id, webhook_id, status, attempts, created_at) VALUES (?, 'e1', 'msg_1', 'pending', 0, '2026-01-01')`).bind(r.data.id).run();
    const del = await api(`/v1/admin/subscriptions/${r.data.id}`, { method: 'DELETE' });
    expect(del).toMatchObject({ status: 200, data: { id: r.data.id, deleted: true } });
    expect(await rows('SELECT * FROM notify_deliveries WHERE subscription_id = ?', r.data.id)).toEqual([]);
    for (const [method, path] of [['GET', ''], ['DELETE', ''], ['GET', '/deliveries']]) {
      const x = await api(`/v1/admin/subscriptions/${r.data.id}${path}`, { method });
      expect(x.status).toBe(404);
      expect(x.data.error.message).toContain('id:');
    }
  });
});
