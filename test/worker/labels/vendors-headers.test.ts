// A vendor may not name a credential, framing or hop-by-hop header as its token / signature or
// id header (issue 12, defect 4): 400 naming the field, no vendor stored.
import { describe, it, expect } from 'vitest';
import { api } from '../helpers.ts';
import { expectError, rows, uid } from '../reference.ts';

const RESERVED = ['Authorization', 'proxy-authorization', 'Cookie', 'Content-Length', 'content-type', 'Transfer-Encoding',
  'connection', 'keep-alive', 'TE', 'trailer', 'upgrade', 'Host', 'webhook-signature'];

async function refused(body: Record<string, unknown>, field: string, header: string) {
  const vendor = uid('hdr');
  const r = await api('/v1/admin/vendors', { method: 'POST', json: { vendor, ...body } });
  const e = expectError(r, 400, 'invalid_request');
  expect(e.message).toMatch(new RegExp(`^${field}: `));
  expect(e.message.toLowerCase()).toContain(header.toLowerCase());
  expect(e.details.field).toBe(field);
  expect(await rows('SELECT vendor FROM vendors WHERE vendor = ?', vendor)).toEqual([]);
}

describe('reserved vendor headers', () => {
  for (const h of RESERVED) {
    it(`static-token with signature_header ${h} → 400`, () => refused({ scheme: 'static-token', signature_header: h }, 'signature_header', h));
  }

  it('hmac-sha256-hex with a reserved signature header, and any scheme with a reserved id header → 400', async () => {
    await refused({ scheme: 'hmac-sha256-hex', signature_header: 'Authorization' }, 'signature_header', 'authorization');
    await refused({ scheme: 'static-token', id_header: 'Content-Length' }, 'id_header', 'content-length');
    await refused({ scheme: 'hmac-sha256-hex', id_header: 'Cookie' }, 'id_header', 'cookie');
  });

  it('the id header may not be the token header (the token would be stored as the delivery id)', async () => {
    const vendor = uid('hdr');
    const r = await api('/v1/admin/vendors', { method: 'POST', json: { vendor, scheme: 'static-token', signature_header: 'X-Tok', id_header: 'x-tok' } });
    expect(expectError(r, 400, 'invalid_request').details.field).toBe('id_header');
    await refused({ scheme: 'static-token', id_header: 'X-Webhook-Token' }, 'id_header', 'signature header');
  });

  it('a vendor header is still accepted', async () => {
    const vendor = uid('hdr');
    const r = await api('/v1/admin/vendors', { method: 'POST', json: { vendor, scheme: 'static-token', signature_header: 'X-Scale-Token', id_header: 'X-Scale-Id' } });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ signature_header: 'x-scale-token', id_header: 'x-scale-id' });
  });
});
