// Property-based fuzzing of the Worker in workerd (issue 12): generated slices (valid, and
// mutated: wrong types, out-of-range numbers, missing and extra fields, duplicate ids, truncated
// lines, bad JSON, bad UTF-8, huge strings, unknown region or policy) as JSON and NDJSON; signed
// webhook deliveries and their mutations; admin bodies. Invariants: fuzz-invariants.ts.
// Runs per property: FUZZ_RUNS (default 10, seconds); FUZZ_SEED replays a run.
// Not generated: `features` (they send items to the GPU backend, asynchronously) and admin bodies
// past the 64 KiB cap (body-limit.test.ts covers those).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { api } from '../helpers.ts';
import { createVendor, deliver, expectCountersMatchStore, nowS, signHex, signStandard, slicePk } from '../labels/webhooks-helpers.ts';
import { expectNo5xx, expectRefusal, expectScorecardMatchesStore, fingerprint } from './fuzz-invariants.ts';
import {
  bodyDamage, eventMutation, extraFields, headerMutation, itemMutation, keyBody, labelEvent, MODELS, overrideBody, overrideSignature,
  recordBody, REGIONS, setField, UNKNOWN_REGIONS, validItem, validItems, vendorBody,
} from './fuzz-arbitraries.ts';

const RUNS = Math.max(1, Number(env.FUZZ_RUNS || 0) || 10);
// The bounded run in `npm test` is reproducible (a fixed seed); a long run (FUZZ_RUNS set) draws a
// new seed each time unless FUZZ_SEED pins one — fast-check prints it with any counterexample.
const SEED = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : env.FUZZ_RUNS ? undefined : 20261203;
const TIMEOUT = 60_000 + RUNS * 2_000;
const stats: Array<{ property: string; runs: number; ms: number }> = [];

/** fc.assert with the run count and seed of this run; records cases tried and time. */
async function check<T>(property: string, arb: fc.Arbitrary<T>, body: (v: T) => Promise<void>, runs = RUNS) {
  const t0 = Date.now();
  let tried = 0;
  await fc.assert(fc.asyncProperty(arb, async (v) => { tried++; await body(v); }), { numRuns: runs, seed: SEED, verbose: 1 });
  stats.push({ property, runs: tried, ms: Date.now() - t0 });
  console.log(`fuzz ${property}: ${tried} cases, ${Date.now() - t0} ms`);
}

afterAll(() => {
  const cases = stats.reduce((n, s) => n + s.runs, 0);
  console.log(`fuzz total: ${stats.length} properties passed, ${cases} cases, ${stats.reduce((n, s) => n + s.ms, 0)} ms`);
});

let sliceSeq = 0;
const sliceId = (p: string) => `${p}-${(sliceSeq++).toString(36)}`;
/** A new version (same stage) every 25 slices: a cell still gathers many slices, but the recount
 *  after each one reads a bounded number, so a long run costs linear, not quadratic, time. */
const rotating = (m: (typeof MODELS)[number]) => ({ ...m, version: `${m.version}.${Math.floor(sliceSeq / 25)}` });
const enc = new TextEncoder();

type Fmt = 'json' | 'ndjson';
const format = fc.constantFrom<Fmt>('json', 'ndjson');

function serialise(fmt: Fmt, header: Record<string, unknown>, items: unknown[]): string {
  if (fmt === 'json') return JSON.stringify({ ...header, items });
  return [header, ...items].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

const post = (region: string, fmt: Fmt, body: BodyInit) => api(`/v1/regions/${region}/slices`, {
  method: 'POST', body, headers: { 'content-type': fmt === 'json' ? 'application/json' : 'application/x-ndjson' },
});

/** A refused slice: the message names one of `names`, nothing of it is stored. */
async function expectSliceRefused(what: string, send: () => Promise<{ status: number; data: any }>, names: string[], id: string, region: string = REGIONS[0]) {
  const before = await fingerprint();
  const r = await send();
  expectRefusal(r, what, names);
  expect(await fingerprint(), `${what}: storage moved after a refusal`).toBe(before);
  if (/^[A-Z]{2}$/.test(region)) expect((await api(`/v1/regions/${region}/slices/${encodeURIComponent(id)}`)).status).toBe(404);
}

describe('fuzz: slices', () => {
  it('valid slices (JSON and NDJSON) are accepted, a retry is 200 with nothing moved, and the scorecard equals a recount', async () => {
    await check('valid slices', fc.record({
      region: fc.constantFrom(...REGIONS), model: fc.constantFrom(...MODELS), fmt: format, items: validItems(1, 15), retry: fc.boolean(),
    }), async ({ region, model: m, fmt, items }) => {
      const model = rotating(m);
      const id = sliceId('ok');
      const body = serialise(fmt, { slice_id: id, model }, items);
      const r = await post(region, fmt, body);
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      expect(r.data.items).toBe(items.length);
      await expectCountersMatchStore(await slicePk(region, id));
      await expectScorecardMatchesStore(region, model.id, model.version);
      const before = await fingerprint();
      const again = await post(region, fmt, body);
      expect(again.status).toBe(200);
      expect(again.data).toEqual(r.data);
      expect(await fingerprint()).toBe(before);
    });
  }, TIMEOUT);

  it('a slice with one mutated item is refused naming that item and field; nothing is stored', async () => {
    await check('mutated items', fc.record({
      fmt: format, items: validItems(1, 8), at: fc.nat(), mut: itemMutation,
    }), async ({ fmt, items, at, mut }) => {
      const i = at % items.length;
      const bad = items.map((it, k) => (k === i ? mut.apply(it) : it));
      const id = sliceId('mut');
      const names = fmt === 'json' ? [`items[${i}].${mut.field}`] : [`line ${i + 2}: ${mut.field}`];
      await expectSliceRefused(`${mut.name} ${mut.field} (${fmt})`, () => post(REGIONS[0], fmt, serialise(fmt, { slice_id: id, model: MODELS[0] }, bad)), names, id);
    });
  }, TIMEOUT);

  it('unknown fields are kept, not rejected', async () => {
    await check('extra fields', fc.record({ fmt: format, item: validItem(), extra: extraFields }), async ({ fmt, item, extra }) => {
      const model = rotating(MODELS[0]);
      const id = sliceId('extra');
      const r = await post(REGIONS[1], fmt, serialise(fmt, { slice_id: id, model }, [{ ...item, ...extra }]));
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      const got = await api(`/v1/regions/${REGIONS[1]}/slices/${id}/items/${encodeURIComponent(item.item_id as string)}`);
      expect(got.status).toBe(200);
      // As JSON carries them (-0 is sent as 0).
      for (const [k, v] of Object.entries(extra)) expect(got.data.item[k]).toEqual(JSON.parse(JSON.stringify(v)));
      await expectScorecardMatchesStore(REGIONS[1], model.id, model.version);
    });
  }, TIMEOUT);

  it('a duplicate item_id is refused naming the later item', async () => {
    await check('duplicate ids', fc.record({ fmt: format, items: validItems(2, 8), a: fc.nat(), b: fc.nat() }), async ({ fmt, items, a, b }) => {
      const j = a % (items.length - 1);
      const k = j + 1 + (b % (items.length - 1 - j));
      const bad = items.map((it, n) => (n === k ? { ...it, item_id: items[j].item_id } : it));
      const id = sliceId('dup');
      const names = fmt === 'json' ? [`items[${k}].item_id`] : [`line ${k + 2}: item_id`];
      await expectSliceRefused(`duplicate (${fmt})`, () => post(REGIONS[0], fmt, serialise(fmt, { slice_id: id, model: MODELS[0] }, bad)), names, id);
    });
  }, TIMEOUT);

  it('truncated lines, bad JSON and bad UTF-8 are refused naming the line (NDJSON) or the body (JSON)', async () => {
    await check('damaged bodies', fc.record({
      fmt: format, items: validItems(1, 6), damage: bodyDamage, at: fc.nat(), cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    }), async ({ fmt, items, damage, at, cut }) => {
      const id = sliceId('dmg');
      const header = { slice_id: id, model: MODELS[0] };
      let bytes: Uint8Array;
      let names: string[];
      if (fmt === 'json') {
        const text = serialise('json', header, items);
        bytes = enc.encode(damage === 'truncate' ? text.slice(0, Math.floor(cut * text.length)) : `${text.slice(0, Math.floor(cut * text.length))}\u0001not json${text.slice(Math.floor(cut * text.length))}`);
        names = ['body'];
      } else {
        const lines = [header, ...items].map((x) => JSON.stringify(x));
        const n = 1 + (at % items.length); // an item line (0-based index into lines)
        const line = lines[n];
        const pos = 1 + Math.floor(cut * (line.length - 1));
        names = [`line ${n + 1}`];
        if (damage === 'truncate') bytes = enc.encode(lines.slice(0, n).join('\n') + '\n' + line.slice(0, pos));
        else if (damage === 'garbage') bytes = enc.encode(lines.map((l, k) => (k === n ? `${l.slice(0, pos)}}{,${l.slice(pos)}` : l)).join('\n') + '\n');
        else {
          // 0xFF is never valid UTF-8: put it inside the item's id string.
          const before = enc.encode(lines.slice(0, n).join('\n') + '\n' + line.slice(0, line.indexOf('"item_id":"') + 11));
          const after = enc.encode(line.slice(line.indexOf('"item_id":"') + 11) + '\n' + lines.slice(n + 1).join('\n') + '\n');
          bytes = new Uint8Array([...before, 0xff, ...after]);
        }
      }
      await expectSliceRefused(`${damage} (${fmt})`, () => post(REGIONS[0], fmt, bytes), names, id);
    });
  }, TIMEOUT);

  it('a bad slice header is refused naming its field', async () => {
    await check('bad headers', fc.record({ fmt: format, items: validItems(1, 3), mut: headerMutation }), async ({ fmt, items, mut }) => {
      const id = sliceId('hdr');
      const header = setField({ slice_id: id, model: { ...MODELS[0] } }, mut.field, mut.value);
      const names = fmt === 'json' ? [mut.field] : [`line 1: ${mut.field}`];
      await expectSliceRefused(`header ${mut.field} (${fmt})`, () => post(REGIONS[0], fmt, serialise(fmt, header, items)), names, id);
    });
  }, TIMEOUT);

  it('an unknown or malformed region is refused naming the region', async () => {
    await check('bad regions', fc.record({
      fmt: format, items: validItems(1, 3), region: fc.oneof(fc.constantFrom(...UNKNOWN_REGIONS), fc.constantFrom('br', 'BRA', 'B1')),
    }), async ({ fmt, items, region }) => {
      const id = sliceId('reg');
      await expectSliceRefused(`region ${region}`, () => post(region, fmt, serialise(fmt, { slice_id: id, model: MODELS[0] }, items)), ['region'], id, region);
    });
  }, TIMEOUT);

  it('a valid slice of huge unknown strings is stored whole, through the streamed path too', async () => {
    await check('huge strings', fc.record({ fmt: format, items: validItems(1, 3), size: fc.integer({ min: 1_000, max: 300_000 }) }), async ({ fmt, items, size }) => {
      const model = rotating(MODELS[1]);
      const id = sliceId('huge');
      const big = items.map((it, k) => (k === 0 ? { ...it, x_blob: 'b'.repeat(size) } : it));
      const r = await post(REGIONS[2], fmt, serialise(fmt, { slice_id: id, model }, big));
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      await expectCountersMatchStore(await slicePk(REGIONS[2], id));
      await expectScorecardMatchesStore(REGIONS[2], model.id, model.version);
    }, Math.max(3, Math.ceil(RUNS / 5)));
  }, TIMEOUT);
});

// ── Webhooks ─────────────────────────────────────────────────────────────────────────────

const WH_REGION = REGIONS[3];
const WH_MODEL = MODELS[0];
const WH_SLICE = 'wh-base';
let baseIds: string[] = [];
const secrets: Record<string, string> = {};

describe('fuzz: webhooks', () => {
  beforeAll(async () => {
    // A stored slice whose items the events relabel, with live segments (neighbours re-diagnose).
    const items = fc.sample(validItems(20, 30), { numRuns: 1, seed: 42 })[0];
    const r = await post(WH_REGION, 'json', serialise('json', { slice_id: WH_SLICE, model: WH_MODEL }, items));
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    baseIds = items.map((i) => i.item_id as string);
    secrets.std = await createVendor('fz-std');
    secrets.hex = await createVendor('fz-hex', 'hmac-sha256-hex');
    secrets.tok = await createVendor('fz-tok', 'static-token', { signature_header: 'X-Fz-Token' });
  });

  const target = () => fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((n) => ({ region: WH_REGION, slice_id: WH_SLICE, item_id: baseIds[n % baseIds.length] })) },
    // parked: an item the slice does not hold, a slice not stored yet
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]{1,10}$/).map((item_id) => ({ region: WH_REGION, slice_id: WH_SLICE, item_id: `absent-${item_id}` })) },
    { weight: 1, arbitrary: fc.record({ region: fc.constantFrom(...REGIONS), slice_id: fc.stringMatching(/^later-[a-z0-9]{1,6}$/), item_id: fc.stringMatching(/^[a-z0-9]{1,6}$/) }) },
  );
  const events = () => fc.array(labelEvent(target()), { minLength: 1, maxLength: 12 });

  let wseq = 0;
  /** Signed correctly for the vendor's scheme. */
  async function signed(vendor: 'std' | 'hex' | 'tok', body: string, id = `fz_${Date.now()}_${wseq++}`, ts = nowS()): Promise<Record<string, string>> {
    if (vendor === 'std') return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signStandard(secrets.std, id, ts, body) };
    if (vendor === 'hex') return { 'x-hub-signature-256': await signHex(secrets.hex, body) };
    return { 'x-fz-token': secrets.tok };
  }
  const vendorName = (v: string) => `fz-${v}`;
  const scheme = fc.constantFrom<'std' | 'hex' | 'tok'>('std', 'hex', 'tok');

  it('signed deliveries are applied: every counter equals a recount, and a replay moves nothing', async () => {
    await check('webhook deliveries', fc.record({ vendor: scheme, events: events() }), async ({ vendor, events }) => {
      const body = JSON.stringify({ events });
      const headers = await signed(vendor, body);
      const r = await deliver(vendorName(vendor), body, headers);
      expect(r.status, JSON.stringify(r.data)).toBe(200);
      expect(r.data.events).toBe(events.length);
      expect(r.data.applied + r.data.parked, JSON.stringify(r.data)).toBe(r.data.duplicate ? 0 : events.length);
      await expectCountersMatchStore(await slicePk(WH_REGION, WH_SLICE));
      await expectScorecardMatchesStore(WH_REGION, WH_MODEL.id, WH_MODEL.version);
      const before = await fingerprint();
      const again = await deliver(vendorName(vendor), body, headers);
      expect(again.status, JSON.stringify(again.data)).toBe(200);
      expect(again.data).toMatchObject({ duplicate: true, applied: 0 });
      expect(await fingerprint()).toBe(before);
    });
  }, TIMEOUT);

  const sigDamage = fc.constantFrom('flip', 'wrong-secret', 'stale', 'future', 'missing', 'bad-ts');
  it('bad signatures, stale timestamps and missing headers are 401 naming the header; nothing applied', async () => {
    await check('webhook signatures', fc.record({ vendor: scheme, events: events(), damage: sigDamage, skew: fc.integer({ min: 301, max: 10_000_000 }) }), async ({ vendor, events, damage, skew }) => {
      const body = JSON.stringify({ events });
      let headers: Record<string, string>;
      const sigHeader = vendor === 'std' ? 'webhook-signature' : vendor === 'hex' ? 'x-hub-signature-256' : 'x-fz-token';
      let names = [sigHeader, 'X-Fz-Token'];
      if (vendor === 'std' && (damage === 'stale' || damage === 'future' || damage === 'bad-ts')) {
        const ts = damage === 'stale' ? nowS() - skew : damage === 'future' ? nowS() + skew : nowS();
        headers = await signed('std', body, undefined, ts);
        if (damage === 'bad-ts') headers['webhook-timestamp'] = `${headers['webhook-timestamp']}.5`;
        names = ['webhook-timestamp'];
      } else {
        headers = await signed(vendor, body);
        if (damage === 'missing') {
          delete headers[sigHeader];
          if (vendor === 'std') names = ['webhook-signature'];
        } else if (damage === 'wrong-secret') {
          headers[sigHeader] = vendor === 'std' ? await signStandard(`whsec_${btoa('x'.repeat(32))}`, headers['webhook-id'], nowS(), body)
            : vendor === 'hex' ? await signHex('0'.repeat(64), body) : 'tok_wrong';
        } else {
          // Change one character of the signature (or token) to another value: hex is read
          // case-insensitively, so 'a' → 'A' would be no change.
          const s = headers[sigHeader];
          const at = s.length - 3;
          headers[sigHeader] = s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1);
        }
      }
      const before = await fingerprint();
      const r = await deliver(vendorName(vendor), body, headers);
      expectRefusal(r, `${vendor} ${damage}`, names.map((n) => n.toLowerCase()).concat(names), 401);
      expect(await fingerprint()).toBe(before);
    });
  }, TIMEOUT);

  it('malformed deliveries, signed correctly, are 400 naming the field; nothing applied', async () => {
    const malformed = fc.oneof(
      fc.record({ kind: fc.constant('event' as const), events: events(), at: fc.nat(), mut: eventMutation }),
      fc.record({ kind: fc.constantFrom('empty' as const, 'too-many' as const, 'not-object' as const, 'bad-json' as const, 'bad-utf8' as const, 'events-type' as const) }),
    );
    await check('webhook bodies', fc.record({ vendor: scheme, m: malformed }), async ({ vendor, m }) => {
      let body: string | Uint8Array;
      let names: string[];
      if (m.kind === 'event') {
        const i = m.at % m.events.length;
        body = JSON.stringify({ events: m.events.map((e, k) => (k === i ? m.mut.apply(e) : e)) });
        names = [`events[${i}].${m.mut.field}`];
      } else if (m.kind === 'empty') { body = '{"events":[]}'; names = ['events']; }
      else if (m.kind === 'too-many') {
        body = JSON.stringify({ events: Array.from({ length: 1001 }, (_, k) => ({ region: WH_REGION, slice_id: WH_SLICE, item_id: `x${k}`, violating: true, labelled_at: new Date().toISOString() })) });
        names = ['events'];
      } else if (m.kind === 'not-object') { body = '[1,2]'; names = ['events', 'body']; }
      else if (m.kind === 'events-type') { body = '{"events":"all"}'; names = ['events']; }
      else if (m.kind === 'bad-json') { body = '{"events":[{"region":'; names = ['body']; }
      else {
        const ok = JSON.stringify({ events: [{ region: WH_REGION, slice_id: WH_SLICE, item_id: baseIds[0], violating: true, labelled_at: new Date().toISOString() }] });
        const at = ok.indexOf(baseIds[0]) >= 0 ? ok.indexOf('"violating"') - 2 : 10;
        body = new Uint8Array([...enc.encode(ok.slice(0, at)), 0xff, 0xfe, ...enc.encode(ok.slice(at))]);
        names = ['body'];
      }
      // The signature covers the raw bytes as sent.
      const headers = typeof body === 'string' ? await signed(vendor, body) : await signedBytes(vendor, body);
      const before = await fingerprint();
      const r = await api(`/v1/webhooks/labels/${vendorName(vendor)}`, { method: 'POST', token: null, headers: { 'content-type': 'application/json', ...headers }, body });
      expectRefusal(r, `${vendor} ${m.kind}`, names, 400);
      expect(await fingerprint()).toBe(before);
    });
  }, TIMEOUT);

  /** Signs raw bytes (bodies that are not valid UTF-8 cannot go through a string). */
  async function signedBytes(vendor: 'std' | 'hex' | 'tok', body: Uint8Array): Promise<Record<string, string>> {
    const key = async (raw: Uint8Array) => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    if (vendor === 'std') {
      const id = `fzb_${Date.now()}_${wseq++}`;
      const ts = nowS();
      const k = await key(Uint8Array.from(atob(secrets.std.replace(/^whsec_/, '')), (c) => c.charCodeAt(0)));
      const msg = new Uint8Array([...enc.encode(`${id}.${ts}.`), ...body]);
      const sig = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign('HMAC', k, msg))));
      return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
    }
    if (vendor === 'hex') {
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key(enc.encode(secrets.hex)), body));
      return { 'x-hub-signature-256': `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}` };
    }
    return { 'x-fz-token': secrets.tok };
  }
});

// ── Admin bodies ─────────────────────────────────────────────────────────────────────────

const ADMIN_FIELDS = [
  'body', 'regions', 'scopes', 'note', 'vendor', 'scheme', 'signature_header', 'id_header', 'interventions',
  'intervention', 'model', 'targets', 'applied_at', 'signature', 'region',
];

describe('fuzz: admin bodies', () => {
  beforeAll(async () => {
    // A stored version for intervention records to point at.
    const r = await post(REGIONS[4], 'json', serialise('json', { slice_id: 'admin-base', model: MODELS[0] }, fc.sample(validItems(3, 5), { numRuns: 1, seed: 7 })[0]));
    expect(r.status, JSON.stringify(r.data)).toBe(201);
  });

  const request = fc.oneof(
    keyBody.map((b) => ({ path: '/v1/admin/keys', method: 'POST', body: JSON.stringify(b) })),
    vendorBody.map((b) => ({ path: '/v1/admin/vendors', method: 'POST', body: JSON.stringify(b) })),
    recordBody.map((b) => ({ path: '/v1/interventions', method: 'POST', body: JSON.stringify(b) })),
    fc.record({ region: fc.constantFrom(...REGIONS, 'ZZ'), sig: overrideSignature, b: overrideBody })
      .map(({ region, sig, b }) => ({ path: `/v1/regions/${region}/interventions/${sig}`, method: 'PUT', body: JSON.stringify(b) })),
    fc.record({ path: fc.constantFrom('/v1/admin/keys', '/v1/admin/vendors', '/v1/interventions'), method: fc.constant('POST'), body: fc.constantFrom('{', '', 'null', '[]', '"x"', '{"regions":') }),
  );

  it('admin bodies: never a 5xx; a refusal names the field and stores nothing', async () => {
    await check('admin bodies', request, async (req) => {
      const before = await fingerprint();
      const r = await api(req.path, { method: req.method, body: req.body, headers: { 'content-type': 'application/json' } });
      expectNo5xx(r, `${req.method} ${req.path} ${req.body.slice(0, 200)}`);
      if (r.status >= 400) {
        expectRefusal(r, `${req.method} ${req.path} ${req.body.slice(0, 200)}`, ADMIN_FIELDS);
        expect(await fingerprint(), `${req.path}: storage moved after a refusal`).toBe(before);
      } else {
        expect(await fingerprint(), `${req.path}: an accepted request stored nothing`).not.toBe(before);
      }
    });
  }, TIMEOUT);
});
