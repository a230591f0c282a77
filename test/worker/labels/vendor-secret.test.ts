// Vendors bring their own secret (issue 17): a Standard Webhooks sender's whsec_ key, Scale's
// dashboard token, a key typed into Labelbox — validated per scheme, sealed at rest, never shown
// back. The Standard Webhooks reference vector goes through the verifier with its clock at the
// vector's time; fresh deliveries, signed by the official `standardwebhooks` package with the
// same secret, go through the route.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { api } from '../helpers.ts';
import { vendorAuth, verifyDelivery } from '../../../functions/labels/vendors.ts';
import { deliver, ev, nowS, signHex } from './webhooks-helpers.ts';

// From the Standard Webhooks specification's test vectors.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', ts: 1614265330,
  body: '{"test": 2432232314}', signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const create = (json: Record<string, unknown>) => api('/v1/admin/vendors', { method: 'POST', json });
const vendorRow = (v: string) => env.DB.prepare('SELECT secret, previous_secret FROM vendors WHERE vendor = ?').bind(v).first<{ secret: string; previous_secret: string | null }>();

describe('a vendor\'s own secret', () => {
  it('verifies the Standard Webhooks reference vector, is stored sealed and never shown back', async () => {
    const r = await create({ vendor: 'svix-ref', scheme: 'standard-webhooks', secret: VECTOR.secret });
    expect(r.status).toBe(201);
    expect(r.data).not.toHaveProperty('secret');
    expect(JSON.stringify(r.data)).not.toContain('MfKQ9r8');
    const stored = (await vendorRow('svix-ref'))!;
    expect(stored.secret).not.toContain('MfKQ9r8'); // sealed (AES-GCM), not the secret itself
    expect(JSON.stringify((await api('/v1/admin/vendors/svix-ref')).data)).not.toContain('MfKQ9r8');

    const auth = (await vendorAuth(env, 'svix-ref'))!;
    const headers = (sig: string) => new Headers({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.ts), 'webhook-signature': sig });
    const raw = new TextEncoder().encode(VECTOR.body);
    await expect(verifyDelivery(auth, headers(VECTOR.signature), raw, VECTOR.ts * 1000)).resolves.toBe(VECTOR.id);
    // One character of the MAC changed (not the last: its low bits are base64 padding), or the clock past the tolerance: refused.
    await expect(verifyDelivery(auth, headers('v1,g0hM9SsF+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='), raw, VECTOR.ts * 1000)).rejects.toMatchObject({ status: 401 });
    await expect(verifyDelivery(auth, headers(VECTOR.signature), raw, (VECTOR.ts + 301) * 1000)).rejects.toMatchObject({ status: 401 });
  });

  it('takes fresh deliveries signed with it by the official library, through the route', async () => {
    await create({ vendor: 'svix-live', scheme: 'standard-webhooks', secret: VECTOR.secret });
    const body = JSON.stringify({ events: [ev('BR', 'vs-none', 'x1', true)] });
    const id = `msg_vs_${Date.now()}`;
    const ts = new Date();
    const sig = new Webhook(VECTOR.secret).sign(id, ts, body);
    const r = await deliver('svix-live', body, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': sig });
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ delivery_id: id, duplicate: false, events: 1, parked: 1 });
  });

  it('takes a static token and an HMAC key typed by the customer; refuses malformed ones naming secret, storing nothing', async () => {
    const token = 'scale-dashboard-token-0123456789';
    expect((await create({ vendor: 'scale-own', scheme: 'static-token', signature_header: 'X-Scale-Token', secret: token })).status).toBe(201);
    const body = JSON.stringify({ events: [ev('BR', 'vs-none', 'x2', false)] });
    expect((await deliver('scale-own', body, { 'x-scale-token': token })).status).toBe(200);
    expect((await deliver('scale-own', body.replace('x2', 'x3'), { 'x-scale-token': `${token}x` })).status).toBe(401);

    const key = 'labelbox-typed-key-abcdefgh';
    expect((await create({ vendor: 'lb-own', scheme: 'hmac-sha256-hex', secret: key })).status).toBe(201);
    expect((await deliver('lb-own', body, { 'x-hub-signature-256': await signHex(key, body) })).status).toBe(200);

    for (const [scheme, secret, why] of [
      ['standard-webhooks', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_'],          // no prefix
      ['standard-webhooks', 'whsec_c2hvcnQ=', '24 to 64 bytes'],                   // 5 bytes
      ['standard-webhooks', 'whsec_not base64!', 'whsec_'],
      ['static-token', 'short', '16 to 512'],
      ['hmac-sha256-hex', 'has a space in it but long', '16 to 512'],
    ] as const) {
      const r = await create({ vendor: 'bad-own', scheme, secret });
      expect(r.status, `${scheme} ${secret}`).toBe(400);
      expect(r.data.error.message).toMatch(/^secret: /);
      expect(r.data.error.message).toContain(why);
      expect(await vendorRow('bad-own')).toBeNull();
    }
  });

  it('rotates to the vendor\'s new secret: the old one holds for the overlap, the new one works, neither is shown', async () => {
    const first = (await create({ vendor: 'svix-rot', scheme: 'standard-webhooks' })).data.secret as string;
    const next = 'whsec_' + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const r = await api('/v1/admin/vendors/svix-rot/rotate', { method: 'POST', json: { overlap_seconds: 3600, secret: next } });
    expect(r.status).toBe(200);
    expect(r.data).not.toHaveProperty('secret');
    const send = (secret: string, n: string) => {
      const body = JSON.stringify({ events: [ev('BR', 'vs-none', n, true)] });
      const id = `msg_rot_${n}`;
      const ts = new Date();
      return deliver('svix-rot', body, { 'webhook-id': id, 'webhook-timestamp': String(nowS()), 'webhook-signature': new Webhook(secret).sign(id, ts, body) });
    };
    expect((await send(next, 'r1')).status).toBe(200);
    expect((await send(first, 'r2')).status).toBe(200);
    const bad = await api('/v1/admin/vendors/svix-rot/rotate', { method: 'POST', json: { secret: 'whsec_short' } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.message).toMatch(/^secret: /);
  });
});
