// Slice discovery over additive counts (SPEC §11): every one- and two-predicate slice with
// enough items is tested against the rest of its population (one-sided pooled z-test), q is
// Benjamini–Hochberg over all of them, and the nesting rules keep parents and children from
// flooding the report. Pure: the caller brings the counts (see counts.ts).
import { wilson, type Rate } from '../stats/wilson.ts';
import { oneSidedGreaterZ } from '../stats/ztest.ts';
import { benjaminiHochberg } from '../stats/bh.ts';
import { DISCOVERY } from './config.ts';
import { FEATURES, ATTR_PREFIX } from './features.ts';
import { errorsOf, predicatesOf, type Cell, type DiscoveryCounts, type Predicate } from './counts.ts';

export interface DiscoveryOptions {
  /** Errors are failures whose primary is this code or family; all failures when absent. */
  signature?: string;
}

export interface DiscoveredSlice {
  predicates: Array<{ feature: string; value: string }>;
  n: number;
  errors: number;
  rate: Rate;
  rest: { n: number; errors: number; rate: Rate };
  /** rate / rest rate; null when the rest has no errors. */
  lift: number | null;
  z: number;
  p: number;
  q: number;
  /** Reported one-predicate parents this slice holds most of the excess errors of. */
  folded: DiscoveredSlice[];
}

export interface IgnoredFeature { feature: string; reason: string }

export interface DiscoveryResult {
  population: { n: number; errors: number };
  /** Candidates tested (the m of Benjamini–Hochberg). */
  evaluated: number;
  features: string[];
  ignored_features: IgnoredFeature[];
  slices: DiscoveredSlice[];
}

interface Candidate { key: string; preds: Predicate[]; n: number; e: number; z: number; p: number; q: number; restN: number; restE: number }

/**
 * Attribute keys discovery may use: at most `maxAttrValues` distinct values each, and the
 * `maxAttrKeys` keys seen on most items (ties by name); the others are named as ignored.
 */
function usableFeatures(cells: ReadonlyArray<{ preds: Predicate[]; cell: Cell }>): { use: Set<string>; features: string[]; ignored: IgnoredFeature[] } {
  const values = new Map<string, number>();
  const items = new Map<string, number>();
  for (const { preds, cell } of cells) {
    if (preds.length !== 1 || cell.n <= 0) continue;
    const f = preds[0][0];
    values.set(f, (values.get(f) ?? 0) + 1);
    items.set(f, (items.get(f) ?? 0) + cell.n);
  }
  const ignored: IgnoredFeature[] = [];
  const attrs = [...values.keys()].filter((f) => f.startsWith(ATTR_PREFIX));
  const fine = attrs.filter((f) => {
    if ((values.get(f) ?? 0) <= DISCOVERY.maxAttrValues) return true;
    ignored.push({ feature: f, reason: `more than ${DISCOVERY.maxAttrValues} distinct values (${values.get(f)})` });
    return false;
  });
  fine.sort((a, b) => (items.get(b) ?? 0) - (items.get(a) ?? 0) || (a < b ? -1 : 1));
  for (const f of fine.slice(DISCOVERY.maxAttrKeys)) ignored.push({ feature: f, reason: `beyond the ${DISCOVERY.maxAttrKeys} attribute keys seen on most items` });
  const kept = fine.slice(0, DISCOVERY.maxAttrKeys).sort();
  const fixed = FEATURES.map((f) => f.name);
  // Features the caller added (e.g. `region` on the global route) come after the fixed ones.
  const extra = [...values.keys()].filter((f) => !f.startsWith(ATTR_PREFIX) && !fixed.includes(f)).sort();
  const features = [...fixed.filter((f) => values.has(f)), ...extra, ...kept];
  ignored.sort((a, b) => (a.feature < b.feature ? -1 : 1));
  return { use: new Set(features), features, ignored };
}

const lift = (e: number, n: number, re: number, rn: number): number | null =>
  re === 0 || rn === 0 ? null : (e / n) / (re / rn);

/** Sorted by z descending; ties: more items first, then the predicates' key (stable output). */
const byZ = (a: Candidate, b: Candidate) => b.z - a.z || b.n - a.n || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function discover(counts: DiscoveryCounts, opts: DiscoveryOptions = {}): DiscoveryResult {
  const N = counts.population.n;
  const E = errorsOf(counts.population, opts.signature);
  // Every key parsed once (the global route's population has thousands of cells).
  const cells = [...counts.cells].map(([key, cell]) => ({ key, cell, preds: predicatesOf(key) }));
  const { use, features, ignored } = usableFeatures(cells);

  const candidates: Candidate[] = [];
  for (const { key, cell, preds } of cells) {
    // A candidate has enough items and at least one item outside it.
    if (cell.n < DISCOVERY.minSliceItems || cell.n >= N) continue;
    if (!preds.every(([f]) => use.has(f))) continue;
    const e = errorsOf(cell, opts.signature);
    const { z, p } = oneSidedGreaterZ(e, cell.n, E - e, N - cell.n);
    candidates.push({ key, preds, n: cell.n, e, z, p, q: 1, restN: N - cell.n, restE: E - e });
  }
  // Map iteration order follows insertion; sort first so q and ties never depend on it.
  candidates.sort((a, b) => (a.key < b.key ? -1 : 1));
  const qs = benjaminiHochberg(candidates.map((c) => c.p));
  candidates.forEach((c, i) => { c.q = qs[i]; });

  const significant = candidates.filter((c) => {
    if (!(c.q < DISCOVERY.qLevel)) return false;
    const l = lift(c.e, c.n, c.restE, c.restN);
    return l === null ? c.e > 0 : l >= DISCOVERY.minLift;
  });
  const parents = new Map(significant.filter((c) => c.preds.length === 1).map((c) => [c.key, c]));
  const parentsOf = (c: Candidate) => c.preds.map((pr) => parents.get(JSON.stringify(pr))).filter((p): p is Candidate => !!p);

  // A child is reported only when it is significantly worse than each reported parent's other items.
  const children = significant.filter((c) => c.preds.length === 2 && parentsOf(c).every((P) => {
    const otherN = P.n - c.n;
    if (otherN <= 0) return false;
    return oneSidedGreaterZ(c.e, c.n, P.e - c.e, otherN).p < DISCOVERY.nestingP;
  }));

  // A parent is folded under the highest-z reported child holding ≥ 80 % of its excess errors.
  children.sort(byZ);
  const foldedUnder = new Map<string, Candidate>();
  for (const C of children) {
    for (const P of parentsOf(C)) {
      if (foldedUnder.has(P.key)) continue;
      const rP = P.restN > 0 ? P.restE / P.restN : 0;
      if (C.e - C.n * rP >= DISCOVERY.foldShare * (P.e - P.n * rP)) foldedUnder.set(P.key, C);
    }
  }

  const shape = (c: Candidate, folded: DiscoveredSlice[]): DiscoveredSlice => ({
    predicates: c.preds.map(([feature, value]) => ({ feature, value })),
    n: c.n, errors: c.e, rate: wilson(c.e, c.n),
    rest: { n: c.restN, errors: c.restE, rate: wilson(c.restE, c.restN) },
    lift: lift(c.e, c.n, c.restE, c.restN), z: c.z, p: c.p, q: c.q, folded,
  });
  const reported = [...parents.values()].filter((P) => !foldedUnder.has(P.key)).concat(children).sort(byZ);
  const slices = reported.map((c) => shape(c, c.preds.length === 2
    ? [...foldedUnder].filter(([, C]) => C === c).map(([k]) => shape(parents.get(k)!, [])).sort((a, b) => b.z - a.z)
    : []));

  return { population: { n: N, errors: E }, evaluated: candidates.length, features, ignored_features: ignored, slices };
}
