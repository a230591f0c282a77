// The key-scope matrix (issue 12): every route of the OpenAPI document and every page, for the
// admin, a '*' key, an in-region key (BR), an out-of-region key (CO, no data), a read-only BR
// key and a revoked key → the expected status; and every 200 body a region key gets holds no
// number of a region outside its list (per-region counts or sums pooled with them) and no cell
// of such a region. A route added to the OpenAPI document without a row here fails the test.
import { describe, it, expect, beforeAll } from 'vitest';
import { ADMIN, api, createKey, item, submit } from '../helpers.ts';
import { page } from '../pages/html.ts';
import { waitFor } from '../items/world.ts';

const M = 'scopemx';
type Who = 'admin' | 'star' | 'inRegion' | 'outRegion' | 'readOnly' | 'revoked';
const WHO: Who[] = ['admin', 'star', 'inRegion', 'outRegion', 'readOnly', 'revoked'];
/** The regions a principal's numbers may come from (null: all). */
const SCOPE: Record<Who, string[] | null> = { admin: null, star: null, inRegion: ['BR'], outRegion: ['CO'], readOnly: ['BR'], revoked: ['BR'] };

// Distinctive counts (items, failures in version 1, failures in version 2), all ≥ 100 where
// possible so they cannot be mistaken for small numbers of the page or body.
const SEED: Record<string, { n: number; k1: number; k2: number }> = {
  BR: { n: 131, k1: 37, k2: 11 },
  AR: { n: 457, k1: 173, k2: 101 },
  MX: { n: 389, k1: 211, k2: 203 },
};

/** Every figure that sums over a set of seeded regions: items, failures per version, their fall. */
function figures(regions: string[]): Set<number> {
  const out = new Set<number>();
  for (let mask = 1; mask < 1 << regions.length; mask++) {
    const set = regions.filter((_, i) => mask & (1 << i));
    const sum = (f: (s: typeof SEED[string]) => number) => set.reduce((t, r) => t + f(SEED[r]), 0);
    for (const v of [sum((s) => s.n), sum((s) => s.n * 2), sum((s) => s.k1), sum((s) => s.k2), sum((s) => s.k1 - s.k2)]) out.add(v);
  }
  return out;
}

/** Numbers a principal must never see: figures involving an out-of-scope region, ≥ 100, that no in-scope sum equals. */
function forbidden(scope: string[]): number[] {
  const all = Object.keys(SEED);
  const mine = figures(all.filter((r) => scope.includes(r)));
  return [...figures(all)].filter((v) => v >= 100 && !mine.has(v)).sort((a, b) => a - b);
}

/** Numbers (JSON) or number tokens (HTML) of the body that are forbidden for the scope. */
function leakedNumbers(body: unknown, scope: string[]): number[] {
  const bad = new Set(forbidden(scope));
  const seen: number[] = [];
  if (typeof body === 'string') {
    for (const m of body.matchAll(/(?<![\w#.-])\d+(?![\w.])/g)) if (bad.has(Number(m[0]))) seen.push(Number(m[0]));
  } else {
    const walk = (v: unknown) => {
      if (typeof v === 'number') { if (bad.has(v)) seen.push(v); } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(body);
  }
  return seen;
}

/** Region codes of cells or rows outside the scope: JSON `region` fields, HTML data-region and region links. */
function leakedRegions(body: unknown, scope: string[]): string[] {
  const out: string[] = [];
  const check = (r: string) => { if (/^[A-Z]{2}$/.test(r) && !scope.includes(r)) out.push(r); };
  if (typeof body === 'string') {
    for (const m of body.matchAll(/data-region="([A-Z]{2})"|href="\/scorecards\/([A-Z]{2})[?"]/g)) check(m[1] ?? m[2]);
  } else {
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { if (k === 'region' && typeof x === 'string') check(x); else walk(x); }
    };
    walk(body);
  }
  return out;
}

const fail = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const pass = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.1 } });
const items = (k: number, n: number) => [...Array.from({ length: k }, (_, i) => fail(`f${i}`)), ...Array.from({ length: n - k }, (_, i) => pass(`p${i}`))];

const tokens = {} as Record<Who, string>;
const cookies = {} as Record<Who, string>;
const ids = { recBR: '', recAR: '', vendor: 'scope-vendor', sub: '' };
let seq = 0;

type Req = { method: string; path: string; json?: unknown; headers?: Record<string, string>; body?: string };
interface Row {
  /** The request (built per call: some routes create or delete). */
  req: (who: Who) => Req | Promise<Req>;
  status: Partial<Record<Who, number>>;
  /** Global catalogue: region codes are listed by design (no numbers); skip the code scan. */
  catalogue?: boolean;
}
// Statuses of all principals but revoked (always 401, except the webhook: no bearer auth).
const all = (s: number): Partial<Record<Who, number>> => ({ admin: s, star: s, inRegion: s, outRegion: s, readOnly: s });
const adminOnly = (s: number) => ({ admin: s, star: 403, inRegion: 403, outRegion: 403, readOnly: 403 });
const brRead = { admin: 200, star: 200, inRegion: 200, outRegion: 403, readOnly: 200 };
const get = (path: string) => () => ({ method: 'GET', path });

const MATRIX: Record<string, Row> = {
  'POST /v1/admin/keys': { req: () => ({ method: 'POST', path: '/v1/admin/keys', json: { regions: ['BR'], scopes: ['read'] } }), status: adminOnly(201) },
  'GET /v1/admin/keys': { req: get('/v1/admin/keys'), status: adminOnly(200) },
  'DELETE /v1/admin/keys/{id}': {
    req: async () => ({ method: 'DELETE', path: `/v1/admin/keys/${(await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: ['read'] } })).data.id}` }),
    status: adminOnly(200),
  },
  'GET /v1/admin/dead-letters': { req: get('/v1/admin/dead-letters'), status: adminOnly(200) },
  'POST /v1/admin/dead-letters/{id}/replay': { req: () => ({ method: 'POST', path: '/v1/admin/dead-letters/999999/replay' }), status: adminOnly(404) },
  'POST /v1/admin/subscriptions': { req: () => ({ method: 'POST', path: '/v1/admin/subscriptions', json: { url: 'http://127.0.0.1:9/x', regions: ['BR'], events: ['slice.completed'] } }), status: adminOnly(201) },
  'GET /v1/admin/subscriptions': { req: get('/v1/admin/subscriptions'), status: adminOnly(200) },
  'GET /v1/admin/subscriptions/{id}': { req: () => ({ method: 'GET', path: `/v1/admin/subscriptions/${ids.sub}` }), status: adminOnly(200) },
  'DELETE /v1/admin/subscriptions/{id}': {
    req: async () => ({ method: 'DELETE', path: `/v1/admin/subscriptions/${(await api('/v1/admin/subscriptions', { method: 'POST', json: { url: 'http://127.0.0.1:9/x', regions: ['*'], events: ['slice.completed'] } })).data.id}` }),
    status: adminOnly(200),
  },
  'GET /v1/admin/subscriptions/{id}/deliveries': { req: () => ({ method: 'GET', path: `/v1/admin/subscriptions/${ids.sub}/deliveries` }), status: adminOnly(200) },
  'GET /v1/regions': { req: get('/v1/regions'), status: all(200), catalogue: true },
  'GET /v1/policies': { req: get('/v1/policies'), status: all(200) },
  'GET /v1/taxonomy': { req: get('/v1/taxonomy'), status: all(200) },
  'GET /v1/signatures/{code}': { req: get(`/v1/signatures/FUS.SUPPRESS?region=BR&model=${M}&version=1`), status: brRead },
  'PUT /v1/regions/{region}/interventions/{signature}': {
    req: () => ({ method: 'PUT', path: '/v1/regions/BR/interventions/THR.MARGIN', json: { interventions: [{ code: 'INF.THRESHOLD', weight: 0.5 }] } }),
    status: adminOnly(200),
  },
  // Runs after the PUT above (rows run in this order): the admin removes the override it set.
  'DELETE /v1/regions/{region}/interventions/{signature}': { req: () => ({ method: 'DELETE', path: '/v1/regions/BR/interventions/THR.MARGIN' }), status: adminOnly(200) },
  'GET /v1/regions/{region}/interventions/audit': { req: get('/v1/regions/BR/interventions/audit'), status: brRead },
  // Inherently global (labels span regions): refused to every key not scoped to '*'.
  'GET /v1/vendors/{vendor}/quality': { req: () => ({ method: 'GET', path: `/v1/vendors/${ids.vendor}/quality` }), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } },
  'GET /v1/annotators/{id}': { req: get('/v1/annotators/nobody'), status: { admin: 404, star: 404, inRegion: 403, outRegion: 403, readOnly: 403 } },
  'POST /v1/admin/consensus': { req: () => ({ method: 'POST', path: '/v1/admin/consensus', json: {} }), status: adminOnly(200) },
  'POST /v1/interventions': {
    req: () => ({ method: 'POST', path: '/v1/interventions', json: { intervention: 'INF.THRESHOLD', model: { id: M, version: '2' }, targets: { signatures: ['THR.MARGIN'], regions: ['BR'] }, applied_at: '2026-11-01T00:00:00Z' } }),
    status: { admin: 201, star: 201, inRegion: 201, outRegion: 403, readOnly: 403 },
  },
  'GET /v1/interventions': { req: get(`/v1/interventions?model=${M}`), status: all(200) },
  'GET /v1/interventions/{id}': { req: () => ({ method: 'GET', path: `/v1/interventions/${ids.recBR}` }), status: { ...brRead, outRegion: 404 } },
  'GET /v1/interventions/{id}/attribution': { req: () => ({ method: 'GET', path: `/v1/interventions/${ids.recBR}/attribution` }), status: { ...brRead, outRegion: 404 } },
  'GET /v1/interventions/audit': { req: get('/v1/interventions/audit'), status: adminOnly(200) },
  'DELETE /v1/interventions/{id}': {
    // A record made for this row alone, so the seeded ones stay.
    req: async () => ({
      method: 'DELETE',
      path: `/v1/interventions/${(await api('/v1/interventions', { method: 'POST', json: { intervention: 'INF.THRESHOLD', model: { id: M, version: '2' }, targets: { signatures: ['THR.MARGIN'], regions: ['BR'] }, applied_at: '2026-11-01T00:00:00Z' } })).data.id}`,
    }),
    status: adminOnly(200),
  },
  'GET /v1/models/{model}/versions/{version}/attribution': { req: get(`/v1/models/${M}/versions/2/attribution`), status: all(200) },
  'GET /v1/regions/{region}/scorecard': { req: get(`/v1/regions/BR/scorecard?model=${M}&version=2`), status: brRead },
  'GET /v1/regions/{region}/discovery': { req: get(`/v1/regions/BR/discovery?model=${M}&version=2`), status: brRead },
  // A region key pools only its own regions (CO: nothing), never a number over others.
  'GET /v1/discovery': { req: get(`/v1/discovery?model=${M}&version=2`), status: all(200) },
  'GET /v1/regions/{region}/items': { req: get(`/v1/regions/BR/items?model=${M}&version=2`), status: brRead },
  'POST /v1/admin/partitions/sync': { req: () => ({ method: 'POST', path: '/v1/admin/partitions/sync' }), status: adminOnly(200) },
  'POST /v1/regions/{region}/slices': {
    // Another model: the seeded numbers stay as they are.
    req: () => ({ method: 'POST', path: '/v1/regions/BR/slices', json: { slice_id: `mx-post-${++seq}`, model: { id: `${M}-post`, version: '1', stage: 'sft' }, items: [pass('a')] } }),
    status: { admin: 201, star: 201, inRegion: 201, outRegion: 403, readOnly: 403 },
  },
  'GET /v1/regions/{region}/slices': { req: get(`/v1/regions/BR/slices?model=${M}`), status: brRead },
  // Counts over the key's regions only (the leak scan checks them): CO sees no version.
  'GET /v1/models': { req: get('/v1/models'), status: all(200) },
  'GET /v1/regions/{region}/slices/{slice_id}': { req: get(`/v1/regions/BR/slices/${M}-BR-2`), status: brRead },
  'GET /v1/regions/{region}/slices/{slice_id}/items/{item_id}': { req: get(`/v1/regions/BR/slices/${M}-BR-2/items/f0`), status: brRead },
  'POST /v1/admin/vendors': { req: () => ({ method: 'POST', path: '/v1/admin/vendors', json: { vendor: `scope-v${++seq}`, scheme: 'standard-webhooks' } }), status: adminOnly(201) },
  'POST /v1/admin/vendors/{vendor}/rotate': { req: () => ({ method: 'POST', path: `/v1/admin/vendors/${ids.vendor}/rotate`, json: {} }), status: adminOnly(200) },
  'GET /v1/admin/vendors/{vendor}': { req: () => ({ method: 'GET', path: `/v1/admin/vendors/${ids.vendor}` }), status: adminOnly(200) },
  'GET /v1/admin/vendors': { req: get('/v1/admin/vendors'), status: adminOnly(200) },
  // Every principal with read gets the gate over its own regions (none for CO: no data there).
  'GET /v1/models/{model}/versions/{version}/gate': { req: get(`/v1/models/${M}/versions/2/gate`), status: all(200) },
  'GET /v1/regions/{region}/compare': { req: get(`/v1/regions/BR/compare?model=${M}&from=1&to=2`), status: brRead },
  // All regions pooled: refused to keys not scoped to '*' (region= is the scoped form, below).
  'GET /v1/lifecycle': { req: get(`/v1/lifecycle?model=${M}`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } },
  // Authenticated by the vendor's signature, not a bearer key: unsigned → 401 for everyone.
  'POST /v1/webhooks/labels/{vendor}': {
    req: () => ({ method: 'POST', path: `/v1/webhooks/labels/${ids.vendor}`, json: { item_id: 'x' } }),
    status: { ...all(401), revoked: 401 },
  },
};

// Variants of a route beside its matrix row: the scoped forms and other regions.
const EXTRA: Array<[string, Row]> = [
  ['lifecycle of BR', { req: get(`/v1/lifecycle?model=${M}&region=BR`), status: brRead }],
  ['lifecycle of AR', { req: get(`/v1/lifecycle?model=${M}&region=AR`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['scorecard of AR', { req: get(`/v1/regions/AR/scorecard?model=${M}&version=2`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['discovery of AR', { req: get(`/v1/regions/AR/discovery?model=${M}&version=2`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['items of AR (CSV)', { req: get(`/v1/regions/AR/items?model=${M}&version=2&format=csv`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['attribution of an AR record', { req: () => ({ method: 'GET', path: `/v1/interventions/${ids.recAR}/attribution` }), status: { admin: 200, star: 200, inRegion: 404, outRegion: 404, readOnly: 404 } }],
  ['slices of AR', { req: get(`/v1/regions/AR/slices?model=${M}`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['signature without region', { req: get('/v1/signatures/THR.MARGIN'), status: all(200) }],
];

const PAGES: Array<[string, Row]> = [
  ['GET /scorecards', { req: get(`/scorecards?model=${M}&version=2`), status: all(200) }],
  ['GET /scorecards/{region} (BR)', { req: get(`/scorecards/BR?model=${M}&version=2`), status: brRead }],
  ['GET /scorecards/{region}/items (BR)', { req: get(`/scorecards/BR/items?model=${M}&version=2`), status: brRead }],
  ['GET /scorecards/{region}/items (AR)', { req: get(`/scorecards/AR/items?model=${M}&version=2&format=csv`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['GET /scorecards/{region} (AR)', { req: get(`/scorecards/AR?model=${M}&version=2`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['GET /scorecards/gate', { req: get(`/scorecards/gate?model=${M}&version=2`), status: all(200) }],
  ['GET /scorecards/{region}/slices/{slice}/items/{item} (BR)', { req: get(`/scorecards/BR/slices/${M}-BR-2/items/f0`), status: brRead }],
  ['GET /scorecards/{region}/slices/{slice}/items/{item} (AR)', { req: get(`/scorecards/AR/slices/${M}-AR-2/items/f0`), status: { admin: 200, star: 200, inRegion: 403, outRegion: 403, readOnly: 403 } }],
  ['GET /scorecards/interventions', { req: get(`/scorecards/interventions?model=${M}`), status: all(200) }],
  ['GET /scorecards/interventions/{id}', { req: () => ({ method: 'GET', path: `/scorecards/interventions/${ids.recBR}` }), status: brRead }],
];

async function call(row: Row, who: Who, asPage: boolean) {
  const r = await row.req(who);
  if (asPage) return page(r.path, { token: null, cookie: cookies[who] });
  return api(r.path, { method: r.method, json: r.json, token: tokens[who] });
}

function expectNoLeak(name: string, who: Who, data: unknown, catalogue = false) {
  const scope = SCOPE[who];
  if (!scope) return;
  expect(leakedNumbers(data, scope), `${name} as ${who}: numbers of other regions`).toEqual([]);
  if (!catalogue) expect(leakedRegions(data, scope), `${name} as ${who}: cells of other regions`).toEqual([]);
}

describe('key-scope matrix', () => {
  beforeAll(async () => {
    for (const [region, s] of Object.entries(SEED)) {
      for (const [version, stage, k] of [['1', 'sft', s.k1], ['2', 'alignment', s.k2]] as const) {
        const r = await submit(region, { slice_id: `${M}-${region}-${version}`, model: { id: M, version, stage }, items: items(k, s.n) });
        expect(r.status, `${region} v${version}`).toBe(201);
      }
    }
    // The items routes read the item partitions, fed through the queue after each commit: wait
    // until every seeded slice is copied, so their rows below scan full answers, not empty ones.
    for (const [region, s] of Object.entries(SEED)) {
      const r = await waitFor(() => api(`/v1/regions/${region}/items?model=${M}&version=2&limit=1`), (x) => x.data?.total === s.n && x.data.slices_catching_up === 0);
      expect(r.data.total, `${region} items`).toBe(s.n);
    }
    const rec = (regions: string[]) => api('/v1/interventions', { method: 'POST', json: { intervention: 'TRAIN.MODALITY_DROPOUT', model: { id: M, version: '2' }, targets: { signatures: ['FUS.SUPPRESS'], regions }, applied_at: '2026-11-01T00:00:00Z' } });
    ids.recBR = (await rec(['BR'])).data.id;
    ids.recAR = (await rec(['AR'])).data.id;
    expect((await api('/v1/admin/vendors', { method: 'POST', json: { vendor: ids.vendor, scheme: 'standard-webhooks' } })).status).toBe(201);
    // Subscribed after the seed: no delivery is made to its (unreachable) URL.
    ids.sub = (await api('/v1/admin/subscriptions', { method: 'POST', json: { url: 'http://127.0.0.1:9/x', regions: ['AR'], events: ['region.disparity'] } })).data.id;
    const all3 = ['read', 'submit', 'intervene'];
    tokens.admin = ADMIN;
    tokens.star = await createKey(['*'], all3);
    tokens.inRegion = await createKey(['BR'], all3);
    tokens.outRegion = await createKey(['CO'], all3);
    tokens.readOnly = await createKey(['BR'], ['read']);
    const revoked = await api('/v1/admin/keys', { method: 'POST', json: { regions: ['BR'], scopes: all3 } });
    tokens.revoked = revoked.data.key;
    // Every principal signs in to the pages while its key is valid; the revoked key's cookie
    // must stop working once the key is revoked.
    for (const who of WHO) {
      const r = await api('/scorecards/login', {
        method: 'POST', token: null, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://avlm.test' },
        body: new URLSearchParams({ key: tokens[who], next: '/scorecards' }).toString(),
      });
      expect(r.status, who).toBe(303);
      cookies[who] = r.headers.get('set-cookie')!.split(';')[0];
    }
    expect((await api(`/v1/admin/keys/${revoked.data.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('has a row for every route of the OpenAPI document (and none for a route it lacks)', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.length).toBeGreaterThan(20);
    expect(Object.keys(MATRIX).sort()).toEqual(routes.sort());
  });

  it('the leak scan sees the out-of-region numbers where they are allowed (admin)', async () => {
    // Proves the scan can fail: the admin's heatmap and version attribution hold AR's and MX's figures.
    const heat = await page(`/scorecards?model=${M}&version=2`, { token: null, cookie: cookies.admin });
    expect(leakedNumbers(heat.data, ['BR'])).toEqual(expect.arrayContaining([SEED.AR.n, SEED.MX.n]));
    expect(leakedRegions(heat.data, ['BR'])).toEqual(expect.arrayContaining(['AR', 'MX']));
    const lc = await api(`/v1/lifecycle?model=${M}`);
    expect(leakedNumbers(lc.data, ['BR'])).toContain(SEED.BR.n + SEED.AR.n + SEED.MX.n);
    // …and an items answer's total: AR's items counted, as a BR key must never see.
    const items = await api(`/v1/regions/AR/items?model=${M}&version=2&limit=5`);
    expect(leakedNumbers(items.data, ['BR'])).toContain(SEED.AR.n);
  });

  for (const [name, row] of [...Object.entries(MATRIX), ...EXTRA]) {
    it(`${name}: status per principal, and no other region's numbers`, async () => {
      for (const who of WHO) {
        const r = await call(row, who, false);
        const want = row.status[who] ?? 401;
        expect(r.status, `${name} as ${who}: ${JSON.stringify(r.data).slice(0, 300)}`).toBe(want);
        if (r.status >= 400) expect(r.data.error, `${name} as ${who}`).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        expectNoLeak(name, who, r.data, row.catalogue); // errors carry no other region's numbers either
      }
    });
  }

  for (const [name, row] of PAGES) {
    it(`page ${name}: status per principal (login cookie), and no other region's numbers`, async () => {
      for (const who of WHO) {
        const r = await call(row, who, true);
        expect(r.status, `${name} as ${who}`).toBe(row.status[who] ?? 401);
        if (r.status === 200) expectNoLeak(name, who, r.data);
      }
    });
  }
});
