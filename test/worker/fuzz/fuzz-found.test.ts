// The minimal cases the fuzz suite (fuzz.test.ts, issue 12) found, kept as plain examples so
// they run on every `npm test` whatever the generators draw.
import { describe, it, expect } from 'vitest';
import { api } from '../helpers.ts';
import { createVendor } from '../labels/webhooks-helpers.ts';
import { expectRefusal, fingerprint } from './fuzz-invariants.ts';

const enc = new TextEncoder();
const bytes = (...parts: Array<string | number[]>) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));

describe('fuzz findings', () => {
  it('bad UTF-8 on line 3 of an NDJSON slice is refused naming line 3, not the first line of the chunk', async () => {
    const body = bytes(
      '{"slice_id":"u8","model":{"id":"fz","version":"1","stage":"sft"}}\n',
      '{"item_id":"a","surface":"vod","policy":"hate.slur"}\n',
      '{"item_id":"b', [0xff], '","surface":"vod","policy":"hate.slur"}\n',
    );
    const before = await fingerprint();
    const r = await api('/v1/regions/BR/slices', { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } });
    expectRefusal(r, 'bad UTF-8 on line 3', ['line 3'], 400);
    expect(r.data.error.code).toBe('invalid_encoding');
    expect(await fingerprint()).toBe(before);
  });

  it('the same through the streamed path (a body above ASYNC_INGEST_BYTES, header read first)', async () => {
    const pad = JSON.stringify({ item_id: 'pad', surface: 'vod', policy: 'hate.slur', x_pad: 'p'.repeat(250_000) });
    const body = bytes(
      '{"slice_id":"u8s","model":{"id":"fz","version":"1","stage":"sft"}}\n',
      '{"item_id":"b', [0xff], '","surface":"vod","policy":"hate.slur"}\n',
      `${pad}\n`,
    );
    const before = await fingerprint();
    const r = await api('/v1/regions/BR/slices', { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) } });
    expectRefusal(r, 'streamed bad UTF-8 on line 2', ['line 2'], 400);
    expect(await fingerprint()).toBe(before);
  });

  it('a webhook body that is not valid UTF-8, signed correctly, is 400 naming the body; nothing parked', async () => {
    const secret = await createVendor('fz-found', 'hmac-sha256-hex');
    const body = bytes('{"events":[{"region":"BR","slice_id":"s","item_id":"a', [0xff, 0xfe], '","violating":true,"labelled_at":"2026-11-01T00:00:00Z"}]}');
    const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = [...new Uint8Array(await crypto.subtle.sign('HMAC', key, body))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const before = await fingerprint();
    const r = await api('/v1/webhooks/labels/fz-found', {
      method: 'POST', token: null, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${mac}` },
    });
    expectRefusal(r, 'webhook bad UTF-8', ['body'], 400);
    expect(await fingerprint()).toBe(before);
  });

  describe('an admin body that is JSON but not an object names the body', () => {
    for (const [path, body] of [['/v1/admin/keys', '"x"'], ['/v1/admin/vendors', '[]'], ['/v1/interventions', 'null']] as const) {
      it(`${path} ${body}`, async () => {
        const r = await api(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        expectRefusal(r, `${path} ${body}`, ['body:'], 400);
        expect(r.data.error.message.startsWith('body:')).toBe(true);
        expect(r.data.error.details?.field).toBe('body');
      });
    }
  });
});
