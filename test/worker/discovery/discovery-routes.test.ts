// Slice discovery through HTTP (SPEC §11), checked cell by cell against an enumeration written
// here from the submitted items and their diagnoses (read back one by one): its own features,
// conjunction counts, z-test (erfc), Benjamini–Hochberg and Wilson — nothing from taxonomy/.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, createKey, submit } from '../helpers.ts';
import { pick, rng, submitBySlice } from '../seeded-world.ts';
import { expectError, wilsonRef } from '../reference.ts';
import { erfc } from '../stats.ts';
import { elements, page } from '../pages/html.ts';
import { GLOBAL_ONE_PREDICATE, GLOBAL_POPULATIONS } from '../../../functions/store/discovery-counts.ts';

const M = 'disc-http';
const VERSION = '1';
const model = { id: M, version: VERSION, stage: 'sft' };


interface Sent { region: string; slice: string; item: Record<string, any> }
interface Row { region: string; feats: Map<string, string>; failure: boolean; primary: string | null }

/** One region's items; `plant`: items with tier=new on short videos fail far more often. */
function world(region: string, seed: number, n: number, plant: boolean): Sent[] {
  const r = rng(seed);
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    const tier = pick(r, ['new', 'mid', 'old']);
    const surface = pick(r, ['vod', 'short']);
    const attributes: Record<string, unknown> = { tier, cat: pick(r, ['music', 'news', 'sport']), hd: r() < 0.5, dur: pick(r, [1, 2]) };
    if (r() < 0.1) delete attributes.cat; // absent: no predicate
    const hot = plant && tier === 'new' && surface === 'short';
    const violating = r() < 0.5;
    const wrong = r() < (hot ? 0.6 : 0.1);
    // Wrong: a score on the other side of the 0.5 threshold; probes make most failures concrete.
    const score = (violating !== wrong) ? 0.55 + r() * 0.44 : r() * 0.44;
    const item: Record<string, any> = {
      item_id: `${region}-${i}`, surface, language: pick(r, ['pt-BR', 'pt-PT', 'es', 'ar']),
      policy: pick(r, ['hate.slur', 'violence.graphic']),
      label: { violating, source: pick(r, ['internal', 'acme']), ...(r() < 0.5 ? { evidence: pick(r, [['audio'], ['visual', 'audio']]) } : {}) },
      prediction: { score }, attributes,
    };
    if (wrong && r() < 0.7) item.probes = { audio_only: violating ? 0.9 : 0.1, visual_only: violating ? 0.1 : 0.9 };
    out.push({ region, slice: `${region}-s${i % 2}`, item });
  }
  return out;
}

// ---- the independent enumeration -----------------------------------------------------------
function featuresOf(region: string, it: Record<string, any>): Map<string, string> {
  const f = new Map<string, string>([['region', region], ['policy', it.policy], ['surface', it.surface], ['language', it.language.slice(0, 2).toLowerCase()]]);
  f.set('label_source', it.label.source);
  const bands = ['[0,0.2)', '[0.2,0.4)', '[0.4,0.6)', '[0.6,0.8)', '[0.8,1]'];
  f.set('score_band', bands[Math.min(4, Math.floor(it.prediction.score / 0.2))]);
  f.set('evidence', it.label.evidence ? [...it.label.evidence].sort().join('+') : 'none');
  for (const [k, v] of Object.entries(it.attributes ?? {})) f.set(`attr.${k}`, String(v));
  return f;
}

const upper = (z: number) => erfc(z / Math.SQRT2) / 2;
function zTest(e1: number, n1: number, e2: number, n2: number) {
  const pooled = (e1 + e2) / (n1 + n2);
  const v = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(v > 0)) return { z: 0, p: 1 };
  const z = (e1 / n1 - e2 / n2) / Math.sqrt(v);
  return { z, p: upper(z) };
}

interface Ref { key: string; n: number; e: number; z: number; p: number; q: number; restN: number; restE: number }

/** Every candidate of the population `rows` (features minus `drop`), q by BH's definition. */
function enumerate(rows: Row[], isError: (r: Row) => boolean, drop: string[]): { N: number; E: number; refs: Map<string, Ref> } {
  const N = rows.length, E = rows.filter(isError).length;
  const names = [...new Set(rows.flatMap((r) => [...r.feats.keys()]))].filter((f) => !drop.includes(f)).sort();
  const counts = new Map<string, { n: number; e: number }>();
  for (const r of rows) {
    const fs = names.filter((f) => r.feats.has(f)).map((f) => `${f}=${r.feats.get(f)}`);
    const keys = [...fs, ...fs.flatMap((a, i) => fs.slice(i + 1).map((b) => `${a} & ${b}`))];
    for (const k of keys) {
      const c = counts.get(k) ?? { n: 0, e: 0 };
      c.n++; if (isError(r)) c.e++;
      counts.set(k, c);
    }
  }
  const refs: Ref[] = [];
  for (const [key, { n, e }] of counts) if (n >= 50 && n < N) refs.push({ key, n, e, ...zTest(e, n, E - e, N - n), q: 1, restN: N - n, restE: E - e });
  const m = refs.length;
  const sorted = refs.map((r) => r.p).sort((a, b) => a - b);
  for (const r of refs) sorted.forEach((pj, i) => { if (pj >= r.p) r.q = Math.min(r.q, (pj * m) / (i + 1)); });
  return { N, E, refs: new Map(refs.map((r) => [r.key, r])) };
}

const keyOf = (s: { predicates: Array<{ feature: string; value: string }> }) =>
  [...s.predicates].sort((a, b) => (a.feature < b.feature ? -1 : 1)).map((p) => `${p.feature}=${p.value}`).join(' & ');

/** Every number of every reported (and folded) slice equals the enumeration's cell. */
function expectCells(body: any, ref: ReturnType<typeof enumerate>) {
  expect(body.population).toEqual({ n: ref.N, errors: ref.E });
  expect(body.evaluated).toBe(ref.refs.size);
  const all = body.slices.flatMap((s: any) => [s, ...s.folded]);
  for (const s of all) {
    const c = ref.refs.get(keyOf(s))!;
    expect(c, keyOf(s)).toBeDefined();
    expect({ n: s.n, errors: s.errors, rest: { n: s.rest.n, errors: s.rest.errors } }).toEqual({ n: c.n, errors: c.e, rest: { n: c.restN, errors: c.restE } });
    for (const [got, k, n] of [[s.rate, c.e, c.n], [s.rest.rate, c.restE, c.restN]] as const) {
      const w = wilsonRef(k, n);
      expect(got.value).toBeCloseTo(w.value, 12); expect(got.low).toBeCloseTo(w.low, 9); expect(got.high).toBeCloseTo(w.high, 9);
    }
    expect(s.lift).toBeCloseTo((c.e / c.n) / (c.restE / c.restN), 10);
    expect(s.z).toBeCloseTo(c.z, 9);
    expect(s.p).toBeCloseTo(c.p, 6); // erfc here is good to ~1e-7
    expect(s.q).toBeCloseTo(c.q, 5);
    expect(s.q).toBeLessThan(0.05);
    expect(s.lift).toBeGreaterThanOrEqual(1.5);
  }
  // Sorted by z descending.
  const zs = body.slices.map((s: any) => s.z);
  expect(zs).toEqual([...zs].sort((a: number, b: number) => b - a));
  // Every significant one-predicate slice is reported or folded under a reported child.
  const shown = new Set(all.map(keyOf));
  for (const c of ref.refs.values()) {
    if (c.key.includes(' & ') || !(c.q < 0.05) || (c.e / c.n) / (c.restE / c.restN) < 1.5) continue;
    expect(shown.has(c.key), c.key).toBe(true);
  }
}

describe('slice discovery routes', () => {
  const sent = [...world('BR', 7, 900, true), ...world('AR', 11, 700, false)];
  const rows: Row[] = [];
  let brKey = '';

  beforeAll(async () => {
    await submitBySlice(sent, model);
    // The diagnoses, read back item by item: the enumeration's errors are the service's failures.
    for (const s of sent) {
      const d = (await api(`/v1/regions/${s.region}/slices/${s.slice}/items/${s.item.item_id}`)).data;
      if (d.outcome === 'pending' || d.excluded) continue;
      rows.push({ region: s.region, feats: featuresOf(s.region, s.item), failure: d.failure, primary: d.primary });
    }
    brKey = await createKey(['BR'], ['read']);
  }, 120_000);

  const br = () => rows.filter((r) => r.region === 'BR');

  it('a region: every reported slice is the enumeration\'s cell; the plant is at rank 1 with exactly its predicates', async () => {
    const r = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}`);
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    expectCells(r.data, enumerate(br(), (x) => x.failure, ['region']));
    expect(keyOf(r.data.slices[0])).toBe('attr.tier=new & surface=short');
    expect(r.data.features).toEqual(['policy', 'surface', 'language', 'label_source', 'score_band', 'evidence', 'attr.cat', 'attr.dur', 'attr.hd', 'attr.tier']);
    expect(r.data.ignored_features).toEqual([]);
    // The link opens the items route filtered to the slice.
    const url = new URL(r.data.slices[0].items_url, 'http://x');
    expect(url.pathname).toBe('/v1/regions/BR/items');
    expect(Object.fromEntries(url.searchParams)).toEqual({ model: M, version: VERSION, population: 'discovery', 'attr.tier': 'new', surface: 'short' });
  });

  it('signature= counts as errors only the failures with that primary (or family)', async () => {
    const prim = new Map<string, number>();
    for (const x of br()) if (x.failure && x.primary) prim.set(x.primary, (prim.get(x.primary) ?? 0) + 1);
    const top = [...prim].sort((a, b) => b[1] - a[1])[0][0];
    for (const sig of [top, top.split('.').slice(0, 2).join('.')]) {
      const r = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}&signature=${encodeURIComponent(sig)}`);
      expect(r.status).toBe(200);
      expectCells(r.data, enumerate(br(), (x) => x.failure && !!x.primary && (x.primary === sig || x.primary.startsWith(sig + '.')), ['region']));
    }
  });

  it('policy= keeps that policy\'s items (no policy predicate)', async () => {
    const r = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}&policy=hate.slur`);
    expect(r.status).toBe(200);
    expectCells(r.data, enumerate(br().filter((x) => x.feats.get('policy') === 'hate.slur'), (x) => x.failure, ['region', 'policy']));
    for (const s of r.data.slices) expect(new URL(s.items_url, 'http://x').searchParams.get('policy')).toBe('hate.slur');
  });

  it('the global route pools every region with `region` as a feature; a BR key pools BR alone', async () => {
    const all = await api(`/v1/discovery?model=${M}&version=${VERSION}`);
    expect(all.status).toBe(200);
    expectCells(all.data, enumerate(rows, (x) => x.failure, []));
    expect(all.data.features).toContain('region');
    for (const s of all.data.slices) {
      const region = s.predicates.find((p: any) => p.feature === 'region');
      expect(s.items_url === null).toBe(!region);
      if (region) expect(s.items_url.startsWith(`/v1/regions/${region.value}/items?`)).toBe(true);
    }
    const mine = await api(`/v1/discovery?model=${M}&version=${VERSION}`, { token: brKey });
    expect(mine.status).toBe(200);
    expectCells(mine.data, enumerate(br(), (x) => x.failure, []));
    const own = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}`, { token: brKey });
    expect(mine.data.population).toEqual(own.data.population);
    expect(mine.data.slices.map(keyOf)).toEqual(own.data.slices.map(keyOf));
    expectError(await api(`/v1/regions/AR/discovery?model=${M}&version=${VERSION}`, { token: brKey }), 403, 'forbidden');
  });

  it('the region and global pages show the top slices, the API\'s numbers, linked to their items', async () => {
    const api1 = (await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}`)).data;
    const html = (await page(`/scorecards/BR?model=${M}&version=${VERSION}`)).data as string;
    const shown = await elements(html, '#discovery tr[data-slice]');
    expect(shown.map((r) => [r['data-slice'], Number(r['data-n']), Number(r['data-errors'])]))
      .toEqual(api1.slices.slice(0, 5).map((s: any) => [s.predicates.map((p: any) => `${p.feature} = ${p.value}`).join(' ∧ '), s.n, s.errors]));
    // The items PAGE with the items_url's parameters (a cookie reader cannot open the JSON route).
    expect((await elements(html, '#discovery tr[data-slice] a'))[0].href).toBe(api1.slices[0].items_url.replace('/v1/regions/', '/scorecards/'));
    expect(await elements(html, '#discovery-unexplained')).toHaveLength(1);
    // The UNEXPLAINED row links to its slices when the version has such failures.
    const sc = (await api(`/v1/regions/BR/scorecard?model=${M}&version=${VERSION}`)).data;
    const hasUnexplained = sc.by_signature.some((s: any) => s.code === 'UNEXPLAINED');
    expect((await elements(html, '#unexplained-link a[href="#discovery-unexplained"]')).length).toBe(hasUnexplained ? 1 : 0);
    const probe = sc.recommendations.some((r: any) => r.intervention === 'EVAL.PROBE');
    expect((await elements(html, 'li[data-intervention="EVAL.PROBE"] a[href="#discovery"]')).length).toBe(probe ? 1 : 0);
    // The global page, for a BR key: BR's slices only.
    const global = (await page(`/scorecards?model=${M}&version=${VERSION}`, { token: brKey })).data as string;
    expect((await elements(global, '#discovery tr[data-slice]')).map((r) => Number(r['data-n']))).toEqual(api1.slices.slice(0, 5).map((s: any) => s.n));
  });

  it('bad input: a clear 4xx naming the field', async () => {
    const sig = expectError(await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}&signature=NOPE.X`), 400);
    expect(sig.message).toMatch(/^signature:/);
    const pol = expectError(await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}&policy=nope`), 400);
    expect(pol.message).toMatch(/^policy:/);
    expect(expectError(await api(`/v1/regions/BR/discovery?model=${M}&version=9`), 404).message).toMatch(/^version:/);
    expect(expectError(await api(`/v1/regions/ZZ/discovery?model=${M}&version=${VERSION}`), 404, 'unknown_region').message).toMatch(/^region:/);
    expect(expectError(await api(`/v1/discovery?model=${M}`), 400).message).toMatch(/version/);
  });
});

describe('attribute limits (SPEC §11) kept at write time', () => {
  it('a key past 64 distinct values, and keys past the 32 seen on most items, stop being counted and are named', async () => {
    const m = { id: 'disc-caps', version: '1', stage: 'sft' };
    const items = Array.from({ length: 120 }, (_, i) => {
      // 35 keys over the region, 32 per item: uid, k00…k29 on every item, one of e0…e3 each.
      const attributes: Record<string, unknown> = { uid: `u${i % 70}`, nested: { x: 1 }, ratio: 0.5, [`e${i % 4}`]: 'y' };
      for (let k = 0; k < 30; k++) attributes[`k${String(k).padStart(2, '0')}`] = i % 3 === 0 ? 'a' : 'b';
      return { item_id: `c${i}`, surface: 'vod', language: 'es', policy: 'hate.slur', label: { violating: i % 4 === 0 }, prediction: { score: 0.1 }, attributes };
    });
    // Two slices: the second crosses the caps with the first's rows already stored.
    for (const [j, part] of [items.slice(0, 40), items.slice(40)].entries()) {
      expect((await submit('MX', { slice_id: `caps-${j}`, model: m, items: part })).status).toBe(201);
    }
    const r = await api(`/v1/regions/MX/discovery?model=${m.id}&version=1`);
    expect(r.status).toBe(200);
    // The first slice already had 35 keys (uid within its values then): e1…e3 went at its commit,
    // for good; uid went at the second's.
    expect(r.data.ignored_features).toEqual([
      { feature: 'attr.e1', reason: 'beyond the 32 attribute keys seen on most items' },
      { feature: 'attr.e2', reason: 'beyond the 32 attribute keys seen on most items' },
      { feature: 'attr.e3', reason: 'beyond the 32 attribute keys seen on most items' },
      { feature: 'attr.uid', reason: 'more than 64 distinct values' },
    ]);
    expect(r.data.features.filter((f: string) => f.startsWith('attr.'))).toHaveLength(31);
    // Non-scalar values are kept on the item, not used; the ignored keys' rows are gone.
    expect(r.data.features).not.toContain('attr.nested');
    expect(r.data.features).not.toContain('attr.ratio');
    const stored = (await api(`/v1/regions/MX/slices/caps-1/items/c50`)).data;
    expect(stored.item.attributes).toMatchObject({ nested: { x: 1 }, ratio: 0.5, uid: 'u50' });
    const left = await env.DB.prepare(`SELECT count(*) AS n FROM discovery_counts WHERE model_id = ? AND (f1 IN ('attr.uid', 'attr.e1', 'attr.e2', 'attr.e3') OR f2 IN ('attr.uid', 'attr.e1', 'attr.e2', 'attr.e3'))`)
      .bind(m.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect(r.data.population).toEqual({ n: 120, errors: 30 }); // violating every 4th, scored 0.1: FN
  });
});

describe('attributes in the item schema (OpenAPI)', () => {
  it('documents an object of string/boolean/integer values with SPEC §11 limits, and its example makes one feature per key', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    const attrs = doc.components.schemas.EvalItem.properties.attributes;
    expect(attrs.type).toBe('object');
    expect(attrs.additionalProperties.anyOf.map((s: any) => s.type).sort()).toEqual(['boolean', 'integer', 'string']);
    expect(attrs.description).toMatch(/32 attribute keys/);
    expect(attrs.description).toMatch(/64 distinct values/);
    expect(attrs.description).toContain('ignored_features');
    // The example is sent as it stands: every key becomes the feature attr.<key>.
    const m = { id: 'disc-doc', version: '1', stage: 'sft' };
    const items = [0, 1].map((i) => ({ item_id: `d${i}`, surface: 'vod', policy: 'hate.slur', label: { violating: i === 0 }, prediction: { score: 0.1 }, attributes: attrs.example }));
    expect((await submit('AR', { slice_id: 'doc-example', model: m, items })).status).toBe(201);
    const r = await api(`/v1/regions/AR/discovery?model=${m.id}&version=1`);
    expect(r.status).toBe(200);
    const keys = Object.keys(attrs.example);
    expect(keys.length).toBeGreaterThan(0);
    expect(r.data.features.filter((f: string) => f.startsWith('attr.')).sort()).toEqual(keys.map((k) => `attr.${k}`).sort());
  });
});

describe('the global read is shaped for 120 regions', () => {
  it('reads populations and one-predicate cells from the covering index alone, summing policies in SQL', async () => {
    for (const sql of [GLOBAL_POPULATIONS, GLOBAL_ONE_PREDICATE]) {
      for (const scope of [null, JSON.stringify(['BR'])]) {
        const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(M, VERSION, scope).all<{ detail: string }>();
        const reads = plan.results.map((r) => r.detail).filter((d) => / c /.test(` ${d} `) || /discovery_counts/.test(d));
        expect(reads.join(' | ')).toMatch(/USING COVERING INDEX discovery_counts_ones/);
        expect(reads.join(' | ')).not.toMatch(/SCAN c\b/);
      }
    }
  });
});
