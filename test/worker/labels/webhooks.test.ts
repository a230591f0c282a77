// Labelling vendor webhooks (SPEC §6): signature schemes, idempotency, atomicity, label changes
// re-diagnosing items and moving every counter, parked labels, concurrency, rotation.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { api, chunked, createKey, item, submit, ndjson } from '../helpers.ts';
import {
  createVendor, deliver, deliverBody, deliverStandard, ev, expectCountersMatchStore, nowS, signHex, signStandard, slicePk, snapshot,
} from './webhooks-helpers.ts';

const R = 'BR';
const MODEL = { id: 'avlm-wh', version: '1', stage: 'sft' };
const scorecard = () => api(`/v1/regions/${R}/scorecard?model=avlm-wh&version=1`).then((r) => r.data);
const getItem = (slice: string, id: string) => api(`/v1/regions/${R}/slices/${slice}/items/${id}`).then((r) => r.data);
const votesCount = async () => (await env.DB.prepare('SELECT COUNT(*) AS n FROM votes').first<{ n: number }>())!.n;

let std = '';      // standard-webhooks secret
let hub = '';      // hmac-sha256-hex secret
let tok = '';      // static token
const logged: string[] = [];

describe('vendor webhooks', () => {
  beforeAll(async () => {
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const orig = console[m].bind(console);
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')); orig(...args); });
    }
    const items = [
      item('flip', { label: { violating: true, source: 'internal' }, prediction: { score: 0.1 } }),   // FN
      item('amb', { label: { violating: false, source: 'internal' }, prediction: { score: 0.1 } }),   // TN
      item('adj', { label: { violating: false, source: 'internal' }, prediction: { score: 0.9 } }),   // FP
      item('pend', { label: undefined, prediction: { score: 0.8 } }),                                  // pending
      item('tok', { label: { violating: false, source: 'internal' }, prediction: { score: 0.2 } }),   // TN
      ...Array.from({ length: 8 }, (_, i) => item(`c${i}`, { prediction: { score: 0.1 } })),          // TN
      ...Array.from({ length: 40 }, (_, i) => item(`f${i}`, { prediction: { score: 0.1 } })),         // TN
    ];
    const r = await submit(R, { slice_id: 'wh-main', model: MODEL, items });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ items: 53, failures: 2, pending: 1 });
    std = await createVendor('std');
    hub = await createVendor('hub', 'hmac-sha256-hex');
    tok = await createVendor('scale', 'static-token', { signature_header: 'X-Scale-Token', id_header: 'X-Scale-Id' });
  });

  it('registers vendors: secrets shown once, in the documented formats; 409 for an existing vendor', async () => {
    expect(std).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(std.slice(6))).toHaveLength(32);
    expect(hub).toMatch(/^[0-9a-f]{64}$/);
    expect(tok).toMatch(/^tok_/);
    const again = await api('/v1/admin/vendors', { method: 'POST', json: { vendor: 'std', scheme: 'standard-webhooks' } });
    expect(again.status).toBe(409);
    const bad = await api('/v1/admin/vendors', { method: 'POST', json: { vendor: 'x', scheme: 'md5' } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.message).toMatch(/^scheme/);
    const notAdmin = await api('/v1/admin/vendors', { method: 'POST', json: { vendor: 'y' }, token: await createKey(['*'], ['read', 'submit']) });
    expect(notAdmin.status).toBe(403);
    // A GET never shows a secret; the database holds HMAC secrets sealed and tokens hashed.
    const one = await api('/v1/admin/vendors/scale');
    expect(one.status).toBe(200);
    expect(one.data).toMatchObject({ vendor: 'scale', scheme: 'static-token', signature_header: 'x-scale-token', id_header: 'x-scale-id' });
    expect(JSON.stringify(one.data)).not.toMatch(/secret"|tok_/);
    const list = await api('/v1/admin/vendors');
    expect(list.data.vendors.map((v: any) => v.vendor)).toEqual(['hub', 'scale', 'std']);
    expect(JSON.stringify(list.data)).not.toContain(std.slice(6, 20));
    const rows = (await env.DB.prepare('SELECT vendor, secret FROM vendors ORDER BY vendor').all<{ vendor: string; secret: string }>()).results;
    expect(rows[0].secret).toMatch(/^aesgcm:v1:(at|sk):/);
    expect(rows[0].secret).not.toContain(hub);
    expect(rows[1].secret).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rows[2].secret).not.toContain(std.slice(6));
  });

  it('a delivery signed by the standardwebhooks package flips a label: FN → TN, counters follow', async () => {
    const before = await scorecard();
    expect(before).toMatchObject({ items: 53, failures: 2, pending: 1, outcomes: { fn: 1, fp: 1 } });
    expect((await getItem('wh-main', 'flip'))).toMatchObject({ outcome: 'FN', primary: 'UNPROBED' });

    const body = JSON.stringify({ events: [ev(R, 'wh-main', 'flip', false)] });
    const id = 'msg_official_1';
    const sig = new Webhook(std).sign(id, new Date(), body);
    const r = await deliver('std', body, { 'webhook-id': id, 'webhook-timestamp': String(nowS()), 'webhook-signature': sig });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ delivery_id: id, duplicate: false, events: 1, applied: 1, parked: 0, items_changed: 1, relabelled: 1 });

    const it = await getItem('wh-main', 'flip');
    expect(it).toMatchObject({ outcome: 'TN', primary: null, failure: false });
    expect(it.item.label).toMatchObject({ violating: false, source: 'std', adjudicated: true });
    const after = await scorecard();
    expect(after).toMatchObject({ items: 53, failures: 1, pending: 1, outcomes: { fn: 0, tn: before.outcomes.tn + 1, fp: 1 } });
    expect(after.failure_rate.value).toBeCloseTo(1 / 52, 12);
    expect(before.failure_rate.value).toBeCloseTo(2 / 52, 12);
    expect(after.by_signature).toEqual([expect.objectContaining({ code: 'UNPROBED', count: 1 })]);
    const slice = await api(`/v1/regions/${R}/slices/wh-main`);
    expect(slice.data).toMatchObject({ failures: 1, pending: 1, by_signature: { UNPROBED: 1 } });
    await expectCountersMatchStore(await slicePk(R, 'wh-main'));
  });

  it('the package verifies what our signer signs, and ours is accepted too (several signatures allowed)', async () => {
    const body = JSON.stringify({ events: [ev(R, 'wh-main', 'pend', true, { annotator: 'a1' })] });
    const ts = nowS();
    const ours = await signStandard(std, 'msg_ours_1', ts, body);
    expect(() => new Webhook(std).verify(body, { 'webhook-id': 'msg_ours_1', 'webhook-timestamp': String(ts), 'webhook-signature': ours })).not.toThrow();
    const r = await deliver('std', body, { 'webhook-id': 'msg_ours_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,AAAA ${ours}` });
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ applied: 1, relabelled: 1 });
    expect(await getItem('wh-main', 'pend')).toMatchObject({ outcome: 'TP', item: { label: { violating: true, votes: [{ annotator: 'a1', violating: true }] } } });
    expect((await scorecard()).pending).toBe(0);
  });

  it('hmac-sha256-hex (X-Hub-Signature-256) and static-token (X-Scale-Token) schemes', async () => {
    const body = JSON.stringify({ events: [ev(R, 'wh-main', 'f0', false, { annotator: 'h1' })] });
    const ok = await deliver('hub', body, { 'x-hub-signature-256': await signHex(hub, body) });
    expect(ok.status).toBe(200);
    expect(ok.data.delivery_id).toMatch(/^sha256:[0-9a-f]{64}$/); // no id header: the body's hash
    expect((await deliver('hub', body, { 'x-hub-signature-256': await signHex(hub, body) })).data).toMatchObject({ duplicate: true, applied: 0 });
    expect((await deliver('hub', body, { 'x-hub-signature-256': await signHex(hub, `${body} `) })).status).toBe(401);
    expect((await deliver('hub', body, {})).status).toBe(401);
    // Hex is case-insensitive; a MAC of the wrong length or alphabet never matches.
    const upper = JSON.stringify({ events: [ev(R, 'wh-main', 'f0', false, { annotator: 'h2' })] });
    expect((await deliver('hub', upper, { 'x-hub-signature-256': (await signHex(hub, upper)).toUpperCase() })).data).toMatchObject({ duplicate: false, applied: 1 });
    expect((await deliver('hub', upper, { 'x-hub-signature-256': `${await signHex(hub, upper)}00` })).status).toBe(401);
    expect((await deliver('hub', upper, { 'x-hub-signature-256': 'sha256=zz' })).status).toBe(401);

    const tbody = JSON.stringify({ events: [ev(R, 'wh-main', 'tok', true)] });
    const t = await deliver('scale', tbody, { 'X-Scale-Token': tok, 'X-Scale-Id': 'scale-1' });
    expect(t.status).toBe(200);
    expect(t.data).toMatchObject({ delivery_id: 'scale-1', applied: 1, relabelled: 1 });
    expect(await getItem('wh-main', 'tok')).toMatchObject({ outcome: 'FN' });
    expect((await deliver('scale', tbody, { 'X-Scale-Token': `${tok}x`, 'X-Scale-Id': 'scale-2' })).status).toBe(401);
    expect((await deliver('scale', tbody, { 'X-Scale-Token': tok, 'X-Scale-Id': 'scale-1' })).data).toMatchObject({ duplicate: true });
  });

  it('refuses bad, missing, stale and future signatures (401) and unknown vendors (404), changing nothing', async () => {
    const before = await snapshot();
    const body = JSON.stringify({ events: [ev(R, 'wh-main', 'f1', true)] });
    const wh = new Webhook(std);
    const at = (offsetS: number, id = `m${offsetS}`) => {
      const d = new Date(Date.now() + offsetS * 1000);
      return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(d.getTime() / 1000)), 'webhook-signature': wh.sign(id, d, body) };
    };
    const cases: Array<[string, Record<string, string>, number, RegExp]> = [
      ['std', { ...at(0), 'webhook-signature': 'v1,' + btoa('x'.repeat(32)) }, 401, /signature/],
      ['std', { 'webhook-id': 'x', 'webhook-timestamp': String(nowS()) }, 401, /required/],
      ['std', at(-6 * 60), 401, /too old/],
      ['std', at(6 * 60), 401, /future/],
      ['std', { ...at(0), 'webhook-timestamp': 'yesterday' }, 401, /timestamp/],
      ['nobody', at(0), 404, /vendor/],
    ];
    for (const [vendor, headers, status, msg] of cases) {
      const r = await deliver(vendor, body, headers);
      expect(r.status, JSON.stringify(headers)).toBe(status);
      expect(r.data.error.message).toMatch(msg);
    }
    // Within the tolerance (4 minutes either way) is fine — checked on another item below.
    // A bearer key does not replace the signature; and other /v1 routes still need their key.
    expect((await api('/v1/webhooks/labels/std', { method: 'POST', json: JSON.parse(body) })).status).toBe(401);
    expect((await api('/v1/regions', { token: null })).status).toBe(401);
    expect(await snapshot()).toBe(before);
    const near = JSON.stringify({ events: [ev(R, 'wh-main', 'f1', false, { annotator: 'h1' })] });
    for (const off of [-240, 240]) {
      const d = new Date(Date.now() + off * 1000);
      const id = `near${off}`;
      const r = await deliver('std', near, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(d.getTime() / 1000)), 'webhook-signature': wh.sign(id, d, near) });
      expect(r.status).toBe(200);
    }
  });

  it('a malformed body is 400 naming the field, with nothing applied', async () => {
    const before = await snapshot();
    const cases: Array<[unknown, RegExp]> = [
      [{ events: [{ ...ev(R, 'wh-main', 'f2', true), violating: 'yes' }] }, /^events\[0\]\.violating: /],
      [{ events: [ev(R, 'wh-main', 'f2', true), { ...ev(R, 'wh-main', 'f3', true), labelled_at: 'soon' }] }, /^events\[1\]\.labelled_at: /],
      [{ events: [ev(R, 'wh-main', 'f2', true), ev('br', 'wh-main', 'f3', true)] }, /^events\[1\]\.region: /],
      [{ events: [ev(R, 'wh-main', 'f2', true, { evidence: ['smell'] })] }, /^events\[0\]\.evidence\[0\]: /],
      [{ events: Array.from({ length: 1001 }, (_, i) => ev(R, 'wh-main', `f${i % 40}`, true)) }, /^events: /],
      [{ events: [] }, /^events: /],
      [{}, /^events: required/],
    ];
    for (const [doc, msg] of cases) {
      const r = await deliverBody('std', std, JSON.stringify(doc));
      expect(r.status).toBe(400);
      expect(r.data.error.message).toMatch(msg);
      expect(r.data.error.details.field).toBe(r.data.error.message.split(':')[0]);
    }
    // The signature is checked first: a malformed body with a wrong signature is 401.
    expect((await deliverBody('std', `whsec_${btoa('k'.repeat(32))}`, '{"events": 1}')).status).toBe(401);
    const bad = await deliverBody('std', std, '{"events": [');
    expect(bad.status).toBe(400);
    expect(bad.data.error.code).toBe('malformed_json');
    expect(await snapshot()).toBe(before);
  });

  it('a replay answers 200 {duplicate: true, applied: 0} and changes nothing', async () => {
    const events = [ev(R, 'wh-main', 'f4', true, { annotator: 'a1' }), ev(R, 'wh-main', 'f4', true, { annotator: 'a2' })];
    const first = await deliverStandard('std', std, events, { id: 'replay-me' });
    expect(first.data).toMatchObject({ duplicate: false, applied: 2, relabelled: 1 });
    const before = await snapshot();
    const again = await deliverStandard('std', std, events, { id: 'replay-me' });
    expect(again.status).toBe(200);
    expect(again.data).toMatchObject({ delivery_id: 'replay-me', duplicate: true, applied: 0 });
    // The same id with other events (a vendor bug) is a replay too: nothing applied.
    const other = await deliverStandard('std', std, [ev(R, 'wh-main', 'f5', true)], { id: 'replay-me' });
    expect(other.data).toMatchObject({ duplicate: true, applied: 0 });
    expect(await snapshot()).toBe(before);
  });

  it('votes 2:1 against the label make the failure LBL.AMBIG, excluded from the rate', async () => {
    const sc0 = await scorecard();
    // 'amb': TN (label false, 0.1); raters 2:1 say violating → label true, FN with a 0.67 share.
    const r = await deliverStandard('std', std, [
      ev(R, 'wh-main', 'amb', true, { annotator: 'a1' }), ev(R, 'wh-main', 'amb', true, { annotator: 'a2' }), ev(R, 'wh-main', 'amb', false, { annotator: 'a3' }),
    ]);
    expect(r.data).toMatchObject({ applied: 3, relabelled: 1 });
    const amb = await getItem('wh-main', 'amb');
    expect(amb).toMatchObject({ outcome: 'FN', primary: 'LBL.AMBIG', excluded: true });
    expect(amb.secondary[0].evidence).toMatchObject({ votes: 3, violating_votes: 2, majority_share: 2 / 3 });
    // 'adj': FP, adjudicated not violating; raters then say 2:1 violating — the adjudication stands,
    // the label contradicts the majority → LBL.AMBIG.
    await deliverStandard('std', std, [ev(R, 'wh-main', 'adj', false)]);
    const votes = [ev(R, 'wh-main', 'adj', true, { annotator: 'a1' }), ev(R, 'wh-main', 'adj', true, { annotator: 'a2' }), ev(R, 'wh-main', 'adj', false, { annotator: 'a3' })];
    await deliverStandard('std', std, votes);
    expect(await getItem('wh-main', 'adj')).toMatchObject({ outcome: 'FP', primary: 'LBL.AMBIG', excluded: true, item: { label: { violating: false, adjudicated: true } } });
    const sc = await scorecard();
    expect(sc.excluded).toBe(sc0.excluded + 2);
    expect(sc.failures).toBe(sc0.failures + 1); // amb became a failure (excluded), adj stayed one (now excluded)
    expect(sc.failure_rate.value).toBeCloseTo((sc.failures - sc.excluded) / (sc.items - sc.excluded - sc.pending), 12);
    expect(sc.by_signature.find((s: any) => s.code === 'LBL.AMBIG').count).toBe(2);
    await expectCountersMatchStore(await slicePk(R, 'wh-main'));
  });

  it('labels for a slice or item not stored yet are parked, then applied when the slice arrives', async () => {
    const r = await deliverStandard('std', std, [
      ev(R, 'wh-late', 'l1', true, { annotator: 'a1' }), ev(R, 'wh-late', 'l1', true, { annotator: 'a2' }), ev(R, 'wh-late', 'l1', false, { annotator: 'a3' }),
      ev(R, 'wh-late', 'l2', true, { evidence: ['audio'] }),
      ev(R, 'wh-main', 'ghost', true, { annotator: 'a1' }),
      ev(R, 'wh-main', 'f6', true, { annotator: 'a1' }),
    ]);
    expect(r.data).toMatchObject({ events: 6, applied: 1, parked: 5 });
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_labels').first<{ n: number }>())!.n).toBe(5);
    const late = await submit(R, { slice_id: 'wh-late', model: MODEL, items: [
      item('l1', { label: undefined, prediction: { score: 0.1 } }),
      item('l2', { label: { violating: false, source: 'internal' }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } }),
      item('l3'),
    ] });
    expect(late.status).toBe(201);
    expect(late.data).toMatchObject({ items: 3, failures: 2, excluded: 1, pending: 0, by_signature: { 'LBL.AMBIG': 1, 'FUS.SUPPRESS.audio': 1 } });
    expect(await getItem('wh-late', 'l1')).toMatchObject({ outcome: 'FN', primary: 'LBL.AMBIG', item: { label: { violating: true, source: 'std' } } });
    expect(await getItem('wh-late', 'l2')).toMatchObject({ outcome: 'FN', primary: 'FUS.SUPPRESS.audio', item: { label: { violating: true, adjudicated: true, evidence: ['audio'] } } });
    // Applied rows are gone; the unknown item's stays parked (never dropped).
    const left = (await env.DB.prepare('SELECT slice_id, item_id FROM pending_labels').all()).results;
    expect(left).toEqual([{ slice_id: 'wh-main', item_id: 'ghost' }]);
    await expectCountersMatchStore(await slicePk(R, 'wh-late'));
  });

  it('parked labels are applied by the queue consumer too (large NDJSON slice)', async () => {
    await deliverStandard('std', std, [ev(R, 'wh-async', 'x7', true)]);
    const items = Array.from({ length: 1500 }, (_, i) => item(`x${i}`, { prediction: { score: 0.1 }, content_id: `content-${i}-${'p'.repeat(40)}` }));
    const body = ndjson({ slice_id: 'wh-async', model: MODEL }, items);
    expect(body.length).toBeGreaterThan(200_000);
    const r = await api(`/v1/regions/${R}/slices`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: chunked(body) });
    expect(r.status).toBe(202);
    let s: any;
    for (let i = 0; i < 200; i++) {
      s = (await api(`/v1/regions/${R}/slices/wh-async`)).data;
      if (s.status !== 'processing') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(s).toMatchObject({ status: 'complete', items: 1500, failures: 1 });
    expect(await getItem('wh-async', 'x7')).toMatchObject({ outcome: 'FN', item: { label: { violating: true, adjudicated: true } } });
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM pending_labels WHERE slice_id = 'wh-async'`).first<{ n: number }>())!.n).toBe(0);
  });

  it('concurrent deliveries on the same item part lose no update', async () => {
    const pk = await slicePk(R, 'wh-main');
    const parts = (await env.DB.prepare('SELECT COUNT(*) AS n FROM item_chunks WHERE slice_pk = ?').bind(pk).first<{ n: number }>())!.n;
    expect(parts).toBe(1); // every item of the slice in one part: every delivery contends
    const v0 = await votesCount();
    const sc0 = await scorecard();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => deliverStandard('std', std, [
      ev(R, 'wh-main', `c${i}`, true, { annotator: 'b1' }), ev(R, 'wh-main', `c${i}`, true, { annotator: 'b2' }), ev(R, 'wh-main', `c${i}`, true, { annotator: 'b3' }),
    ])));
    for (const r of rs) expect(r.data).toMatchObject({ duplicate: false, applied: 3, relabelled: 1 });
    expect(await votesCount()).toBe(v0 + 24);
    for (let i = 0; i < 8; i++) expect(await getItem('wh-main', `c${i}`)).toMatchObject({ outcome: 'FN', item: { label: { violating: true } } });
    const sc = await scorecard();
    expect(sc.failures).toBe(sc0.failures + 8);
    expect(sc.outcomes.fn).toBe(sc0.outcomes.fn + 8);
    await expectCountersMatchStore(pk);
  });

  it('concurrent deliveries spanning several parts each lose no update either', async () => {
    const pk = await slicePk(R, 'wh-async');
    const parts = (await env.DB.prepare('SELECT COUNT(*) AS n FROM item_chunks WHERE slice_pk = ?').bind(pk).first<{ n: number }>())!.n;
    expect(parts).toBeGreaterThan(5);
    const v0 = await votesCount();
    // 6 deliveries × 5 items, overlapping: every delivery rewrites several parts, most shared.
    const rs = await Promise.all(Array.from({ length: 6 }, (_, d) => deliverStandard('std', std,
      Array.from({ length: 5 }, (_, k) => ev(R, 'wh-async', `x${(d * 37 + k * 211) % 1500}`, true, { annotator: `m${d}` })))));
    for (const r of rs) expect(r.data).toMatchObject({ duplicate: false, applied: 5 });
    expect(await votesCount()).toBe(v0 + 30);
    await expectCountersMatchStore(pk);
  });

  it('rotation: the previous secret works until the overlap ends, then 401', async () => {
    const old = await createVendor('rot');
    const e = (i: string) => [ev(R, 'wh-main', 'f7', true, { annotator: `r${i}` })];
    expect((await deliverStandard('rot', old, e('0'))).status).toBe(200);
    const rot = await api('/v1/admin/vendors/rot/rotate', { method: 'POST', json: { overlap_seconds: 1 } });
    expect(rot.status).toBe(200);
    const fresh = rot.data.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect(rot.data.previous_valid_until).not.toBeNull();
    expect((await deliverStandard('rot', old, e('1'))).status).toBe(200);
    expect((await deliverStandard('rot', fresh, e('2'))).status).toBe(200);
    // During a rotation vendors send both signatures.
    const body = JSON.stringify({ events: e('3') });
    const ts = nowS();
    const both = `${await signStandard(old, 'both', ts, body)} ${await signStandard(fresh, 'both', ts, body)}`;
    expect((await deliver('rot', body, { 'webhook-id': 'both', 'webhook-timestamp': String(ts), 'webhook-signature': both })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await deliverStandard('rot', old, e('4'))).status).toBe(401);
    expect((await deliverStandard('rot', fresh, e('5'))).status).toBe(200);
    expect((await api('/v1/admin/vendors/rot')).data.previous_valid_until).toBeNull();
    // Default overlap: a day. Unknown vendor: 404.
    const r2 = await api('/v1/admin/vendors/rot/rotate', { method: 'POST' });
    expect(Date.parse(r2.data.previous_valid_until) - Date.now()).toBeGreaterThan(86_000_000);
    expect((await api('/v1/admin/vendors/nope/rotate', { method: 'POST' })).status).toBe(404);
  });

  it('consensus: Dawid–Skene over all votes, stored posteriors, idempotent and bounded', async () => {
    // Its own votes (the test stands alone): three raters on f30, one on an item of a slice of its
    // own (a second bucket group, for the paging), one on an item not stored.
    expect((await submit(R, { slice_id: 'wh-cons', model: MODEL, items: [item('k1', { prediction: { score: 0.1 } })] })).status).toBe(201);
    await deliverStandard('std', std, [
      ev(R, 'wh-cons', 'k1', true, { annotator: 'a2' }),
      ev(R, 'wh-main', 'f30', true, { annotator: 'a1' }), ev(R, 'wh-main', 'f30', true, { annotator: 'a2' }), ev(R, 'wh-main', 'f30', false, { annotator: 'a3' }),
      ev(R, 'wh-main', 'ghost-c', true, { annotator: 'a1' }),
    ]);
    const first = await api('/v1/admin/consensus', { method: 'POST', json: {} });
    expect(first.status).toBe(200);
    expect(first.data.consensus).toMatchObject({ method: 'dawid-skene', votes: await votesCount(), converged: true });
    expect(first.data.remaining).toBe(0);
    expect(first.data.next_cursor).toBeNull();
    // Voted items not stored: those whose events wait parked (ghost-c, and any other test's).
    const parkedVoted = (await env.DB.prepare(
      `SELECT COUNT(DISTINCT region || '/' || slice_id || '/' || item_id) AS n FROM pending_labels WHERE json_extract(event, '$.annotator') IS NOT NULL`,
    ).first<{ n: number }>())!.n;
    expect(parkedVoted).toBeGreaterThanOrEqual(1);
    expect(first.data.unstored_items).toBe(parkedVoted);
    const f30 = await getItem('wh-main', 'f30');
    expect(f30.item.label.votes).toHaveLength(3);
    await expectCountersMatchStore(await slicePk(R, 'wh-main'));
    const before = await snapshot();
    const second = await api('/v1/admin/consensus', { method: 'POST' });
    expect(second.data).toMatchObject({ items_changed: 0, relabelled: 0, ambiguous: { became: 0, cleared: 0 } });
    expect(await snapshot()).toBe(before);
    // Paged: one bucket group per call at limit 1.
    const paged = await api('/v1/admin/consensus', { method: 'POST', json: { limit: 1 } });
    expect(paged.data.next_cursor).toBe(1);
    expect(paged.data.remaining).toBeGreaterThan(0);
    const rest = await api('/v1/admin/consensus', { method: 'POST', json: { limit: 1, cursor: paged.data.next_cursor } });
    expect(rest.data.examined).toBeGreaterThan(0);
    expect((await api('/v1/admin/consensus', { method: 'POST', token: await createKey(['*'], ['read']) })).status).toBe(403);
  });

  it('per-vendor and per-annotator quality', async () => {
    // Its own votes: a1 and a2 through std (the test stands alone).
    await deliverStandard('std', std, [ev(R, 'wh-main', 'f31', true, { annotator: 'a1' }), ev(R, 'wh-main', 'f31', true, { annotator: 'a2' })]);
    const q = await api('/v1/vendors/std/quality');
    expect(q.status).toBe(200);
    expect(q.data.vendor).toBe('std');
    expect(q.data.summary.votes).toBe((await env.DB.prepare(`SELECT COUNT(*) AS n FROM votes WHERE vendor = 'std'`).first<{ n: number }>())!.n);
    const a1 = q.data.annotators.find((a: any) => a.annotator === 'a1');
    expect(a1.votes).toBeGreaterThan(0);
    for (const a of q.data.annotators) {
      expect(a.accuracy).toBeGreaterThanOrEqual(0);
      expect(a.accuracy).toBeLessThanOrEqual(1);
      for (const row of a.confusion) if (row) expect(row[0] + row[1]).toBeCloseTo(1, 12);
    }
    const ann = await api('/v1/annotators/a1');
    expect(ann.status).toBe(200);
    expect(ann.data).toMatchObject({ annotator: 'a1', vendors: [{ vendor: 'std' }] });
    expect(ann.data.votes).toBe(ann.data.vendors.reduce((s: number, v: any) => s + v.votes, 0));
    expect((await api('/v1/annotators/nobody')).status).toBe(404);
    expect((await api('/v1/vendors/nobody/quality')).status).toBe(404);
    expect((await api('/v1/vendors/std/quality', { token: await createKey(['BR'], ['read']) })).status).toBe(403);
    expect((await api('/v1/vendors/std/quality', { token: await createKey(['*'], ['read']) })).status).toBe(200);
    expect((await api('/v1/annotators/a1', { token: await createKey(['*'], ['submit']) })).status).toBe(403);
  });

  it('is documented in the OpenAPI document, and no secret was ever logged', async () => {
    const doc = (await api('/openapi.json')).data;
    const op = doc.paths['/v1/webhooks/labels/{vendor}'].post;
    expect(op.security).toEqual([{ standardWebhooks: [] }, { hmacSha256Hex: [] }, { staticToken: [] }]);
    expect(op.requestBody.content['application/json'].schema.$ref).toMatch(/LabelDelivery/);
    expect(op.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['vendor', 'webhook-id', 'webhook-timestamp', 'webhook-signature']));
    expect(doc.components.securitySchemes.standardWebhooks).toMatchObject({ type: 'apiKey', in: 'header' });
    for (const p of ['/v1/admin/vendors', '/v1/admin/vendors/{vendor}/rotate', '/v1/vendors/{vendor}/quality', '/v1/annotators/{id}', '/v1/admin/consensus']) expect(doc.paths[p], p).toBeDefined();
    const text = logged.join('\n');
    for (const s of [std, std.slice(6), hub, tok]) expect(text).not.toContain(s);
  });
});
