// Slice discovery (SPEC §11) checked against numbers computed independently in this file: a
// hand-worked world, and random worlds enumerated by brute force straight from the items
// (its own conjunction counts, normal tail, BH and nesting rules — nothing from counts.ts).
import { describe, expect, it } from 'vitest';
import { discover, emptyCounts, featuresOf, mergeCounts, scoreBand, tally, DISCOVERY, type DiscoveryCounts, type Predicate } from '../../taxonomy/discovery/index.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

// ---- independent references -------------------------------------------------------------
/** Upper normal tail 1 − Φ(z) by Simpson's rule on the density over [z, z + 12] (z ≥ −8). */
function upperTail(z: number): number {
  if (z < 0) return 1 - upperTail(-z);
  const steps = 20_000, h = 12 / steps;
  const f = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let s = f(z) + f(z + 12);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * f(z + i * h);
  return (s * h) / 3;
}
function zOneSided(e1: number, n1: number, e2: number, n2: number): { z: number; p: number } {
  const pooled = (e1 + e2) / (n1 + n2);
  const v = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(v > 0)) return { z: 0, p: 1 };
  const z = (e1 / n1 - e2 / n2) / Math.sqrt(v);
  return { z, p: upperTail(z) };
}
/** BH by its definition: q_i = min over j with p_j ≥ p_i of p_j · m / rank_j (rank of the sorted p's). */
function bh(ps: number[]): number[] {
  const sorted = [...ps].sort((a, b) => a - b);
  const m = ps.length;
  return ps.map((p) => {
    let q = 1;
    sorted.forEach((pj, r) => { if (pj >= p) q = Math.min(q, (pj * m) / (r + 1)); });
    return q;
  });
}

interface Row { feats: Map<string, string>; err: boolean }
interface Ref { preds: Predicate[]; n: number; e: number; z: number; p: number; q: number }

/** Every 1- and 2-predicate slice straight from the rows, tested and filtered by SPEC §11. */
function bruteForce(rows: Row[]): { evaluated: number; reported: Array<{ key: string; folded: string[] }>; byKey: Map<string, Ref> } {
  const N = rows.length, E = rows.filter((r) => r.err).length;
  const names = [...new Set(rows.flatMap((r) => [...r.feats.keys()]))].sort();
  const valuesOf = (f: string) => [...new Set(rows.flatMap((r) => (r.feats.has(f) ? [r.feats.get(f)!] : [])))];
  const conj: Predicate[][] = [];
  for (const f of names) for (const v of valuesOf(f)) conj.push([[f, v]]);
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++)
    for (const a of valuesOf(names[i])) for (const b of valuesOf(names[j])) conj.push([[names[i], a], [names[j], b]]);
  const refs: Ref[] = [];
  for (const preds of conj) {
    const inside = rows.filter((r) => preds.every(([f, v]) => r.feats.get(f) === v));
    const n = inside.length, e = inside.filter((r) => r.err).length;
    if (n < DISCOVERY.minSliceItems || n === N) continue;
    refs.push({ preds, n, e, ...zOneSided(e, n, E - e, N - n), q: 1 });
  }
  const qs = bh(refs.map((r) => r.p));
  refs.forEach((r, i) => { r.q = qs[i]; });
  const key = (p: Predicate[]) => p.map(([f, v]) => `${f}=${v}`).join(' & ');
  const sig = refs.filter((r) => {
    if (!(r.q < 0.05)) return false;
    const rr = (E - r.e) / (N - r.n);
    return rr === 0 ? r.e > 0 : r.e / r.n / rr >= 1.5;
  });
  const parents = sig.filter((r) => r.preds.length === 1);
  const parentOf = (c: Ref) => parents.filter((P) => c.preds.some(([f, v]) => P.preds[0][0] === f && P.preds[0][1] === v));
  const children = sig.filter((c) => c.preds.length === 2 && parentOf(c).every((P) => P.n > c.n && zOneSided(c.e, c.n, P.e - c.e, P.n - c.n).p < 0.05));
  children.sort((a, b) => b.z - a.z || b.n - a.n);
  const folded = new Map<Ref, Ref>();
  for (const C of children) for (const P of parentOf(C)) {
    if (folded.has(P)) continue;
    const rP = (E - P.e) / (N - P.n);
    if (C.e - C.n * rP >= 0.8 * (P.e - P.n * rP)) folded.set(P, C);
  }
  const reported = [...parents.filter((P) => !folded.has(P)), ...children].sort((a, b) => b.z - a.z || b.n - a.n);
  return {
    evaluated: refs.length,
    reported: reported.map((r) => ({ key: key(r.preds), folded: [...folded].filter(([, C]) => C === r).map(([P]) => key(P.preds)).sort() })),
    byKey: new Map(refs.map((r) => [key(r.preds), r])),
  };
}

// ---- worlds ------------------------------------------------------------------------------
function rng(seed: number) {
  return () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const countsOf = (rows: Row[]): DiscoveryCounts => {
  const c = emptyCounts();
  for (const r of rows) tally(c, [...r.feats].sort(), r.err ? 'UNEXPLAINED' : null);
  return c;
};
const keyOf = (s: { predicates: Array<{ feature: string; value: string }> }) => s.predicates.map((p) => `${p.feature}=${p.value}`).join(' & ');

/** A world with four features; `plant` raises the error rate inside a conjunction. */
function world(seed: number, size: number, plant?: (f: Map<string, string>) => boolean, base = 0.08, planted = 0.45): Row[] {
  const r = rng(seed);
  const pick = <T,>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const rows: Row[] = [];
  for (let i = 0; i < size; i++) {
    const feats = new Map<string, string>([
      ['policy', pick(['hate.slur', 'violence', 'spam'])],
      ['surface', pick(['vod', 'live', 'short'])],
      ['attr.tier', pick(['new', 'mid', 'top', 'top'])],
    ]);
    if (r() < 0.9) feats.set('language', pick(['ar', 'en', 'pt']));
    const rate = plant?.(feats) ? planted : base;
    rows.push({ feats, err: r() < rate });
  }
  return rows;
}

// ---- tests -------------------------------------------------------------------------------
describe('features of an item (SPEC §11)', () => {
  const item = (over: Partial<EvalItem>): EvalItem => ({ item_id: 'i', surface: 'vod', policy: 'hate.slur', ...over });
  it('takes the primary language subtag in lower case, sorted evidence or none, and usable attributes', () => {
    const f = new Map(featuresOf(item({
      language: 'pt-BR', label: { violating: true, source: 'acme', evidence: ['text', 'audio'] }, prediction: { score: 0.6 },
      attributes: { creator_tier: 'new', verified: false, followers: 1200, ratio: 0.5, tags: ['x'] },
    })));
    expect(Object.fromEntries(f)).toEqual({
      policy: 'hate.slur', surface: 'vod', language: 'pt', label_source: 'acme', score_band: '[0.6,0.8)', evidence: 'audio+text',
      'attr.creator_tier': 'new', 'attr.followers': '1200', 'attr.verified': 'false',
    });
    expect(new Map(featuresOf(item({ label: { violating: false } }))).get('evidence')).toBe('none');
    expect(new Map(featuresOf(item({}))).has('evidence')).toBe(false); // no label: no value, no predicate
  });
  it('puts each score in its band, the last one closed', () => {
    expect([0, 0.1999, 0.2, 0.4, 0.6, 0.8, 0.99, 1].map(scoreBand)).toEqual(
      ['[0,0.2)', '[0,0.2)', '[0.2,0.4)', '[0.4,0.6)', '[0.6,0.8)', '[0.8,1]', '[0.8,1]', '[0.8,1]']);
  });
});

describe('additive counts', () => {
  it('merging two halves equals counting the whole, and taking items back undoes them', () => {
    const rows = world(7, 600);
    const whole = countsOf(rows);
    const merged = mergeCounts(countsOf(rows.slice(0, 250)), countsOf(rows.slice(250)));
    expect(discover(merged)).toEqual(discover(whole));
    const c = countsOf(rows);
    for (const r of rows.slice(0, 100)) tally(c, [...r.feats].sort(), r.err ? 'UNEXPLAINED' : null, -1);
    expect(discover(c)).toEqual(discover(countsOf(rows.slice(100))));
  });
});

describe('discovery against a hand-worked world', () => {
  // 400 items: policy a/b × surface x/y, 100 each. Errors: (a,x) 40, (a,y) 10, (b,x) 10, (b,y) 10.
  const rows: Row[] = [];
  const cells: Array<[string, string, number]> = [['a', 'x', 40], ['a', 'y', 10], ['b', 'x', 10], ['b', 'y', 10]];
  for (const [p, s, e] of cells) for (let i = 0; i < 100; i++) rows.push({ feats: new Map([['policy', p], ['surface', s]]), err: i < e });
  const res = discover(countsOf(rows));

  it('tests the 8 candidates and reports the planted cell with its numbers by hand', () => {
    // Candidates: policy=a, policy=b, surface=x, surface=y and the four pairs.
    expect(res.evaluated).toBe(8);
    expect(res.population).toEqual({ n: 400, errors: 70 });
    const top = res.slices[0];
    expect(keyOf(top)).toBe('policy=a & surface=x');
    // Slice 40/100 against 30/300: pooled 70/400 = 0.175; se = √(0.175·0.825·(1/100 + 1/300)).
    const z = (0.4 - 0.1) / Math.sqrt(0.175 * 0.825 * (1 / 100 + 1 / 300));
    expect(top.z).toBeCloseTo(z, 10);
    expect(top.z).toBeCloseTo(6.8376, 3); // 0.3 / √0.001925
    expect(top.p).toBeCloseTo(upperTail(z), 14);
    expect(top.lift).toBeCloseTo(4, 12);
    expect(top.rest).toMatchObject({ n: 300, errors: 30 });
  });
  it('folds the parents that the pair holds ≥ 80 % of the excess of, and reports nothing else', () => {
    // policy=a: 50/200 vs rest 20/200 (r_P = 0.1): excess 50 − 20 = 30; the pair: 40 − 10 = 30 ≥ 24 → folded.
    // surface=x: the same numbers by symmetry → folded too. Nothing else is significant with lift ≥ 1.5.
    expect(res.slices.map(keyOf)).toEqual(['policy=a & surface=x']);
    expect(res.slices[0].folded.map(keyOf).sort()).toEqual(['policy=a', 'surface=x']);
  });
});

describe('discovery against brute-force enumeration', () => {
  const plants: Array<[string, ((f: Map<string, string>) => boolean) | undefined]> = [
    ['no plant', undefined],
    ['one predicate', (f) => f.get('attr.tier') === 'new'],
    ['two predicates', (f) => f.get('language') === 'ar' && f.get('surface') === 'short'],
    ['two predicates, one parent strong', (f) => f.get('policy') === 'spam' && (f.get('surface') === 'live' || f.get('attr.tier') === 'new')],
  ];
  for (const [name, plant] of plants) for (const seed of [1, 2, 3]) {
    it(`${name}, seed ${seed}: every number and the reported set match`, () => {
      const rows = world(seed * 101, 3000, plant);
      const ref = bruteForce(rows);
      const res = discover(countsOf(rows));
      expect(res.evaluated).toBe(ref.evaluated);
      // The worlds are not vacuous: a plant is found, and no plant means nothing reported.
      expect(res.slices.length > 0).toBe(plant !== undefined);
      expect(res.slices.map((s) => ({ key: keyOf(s), folded: s.folded.map(keyOf).sort() }))).toEqual(ref.reported);
      for (const s of res.slices) {
        const r = ref.byKey.get(keyOf(s))!;
        expect([s.n, s.errors]).toEqual([r.n, r.e]);
        expect(s.z).toBeCloseTo(r.z, 9);
        expect(s.p).toBeCloseTo(r.p, 12);
        expect(s.q).toBeCloseTo(r.q, 12);
      }
    });
  }
  it('finds a planted pair at rank 1 with exactly its predicates', () => {
    const res = discover(countsOf(world(42, 5000, (f) => f.get('language') === 'ar' && f.get('surface') === 'short')));
    expect(keyOf(res.slices[0])).toBe('language=ar & surface=short');
  });
});

describe('errors by signature and the limits on attributes', () => {
  it('counts only the asked signature or family as errors', () => {
    const c = emptyCounts();
    const f: Predicate[] = [['policy', 'p']];
    tally(c, f, 'FUS.SUPPRESS.audio'); tally(c, f, 'FUS.SUPPRESS.visual'); tally(c, f, 'UNEXPLAINED'); tally(c, f, null);
    expect(discover(c).population).toEqual({ n: 4, errors: 3 });
    expect(discover(c, { signature: 'FUS.SUPPRESS' }).population).toEqual({ n: 4, errors: 2 });
    expect(discover(c, { signature: 'UNEXPLAINED' }).population).toEqual({ n: 4, errors: 1 });
    expect(discover(c, { signature: 'FUS' }).population).toEqual({ n: 4, errors: 2 });
  });
  it('leaves out an attribute with more than 64 values and keys beyond the 32 most common, naming them', () => {
    const c = emptyCounts();
    for (let i = 0; i < 200; i++) {
      const f: Predicate[] = [['attr.id', `v${i % 65}`]];
      for (let k = 0; k < 33; k++) if (k < 32 || i % 2 === 0) f.push([`attr.k${String(k).padStart(2, '0')}`, String(i % 2)]);
      tally(c, f.sort(), i % 3 === 0 ? 'UNEXPLAINED' : null);
    }
    const res = discover(c);
    expect(res.ignored_features.map((x) => x.feature)).toEqual(['attr.id', 'attr.k32']);
    expect(res.features).toHaveLength(32);
    expect(res.features).not.toContain('attr.k32');
  });
});
