// Comparing two sets of counts cell by cell (SPEC §9): rates with Wilson intervals, the
// difference with Newcombe's interval, pooled z-test p, and BH q over every tested cell.
import { newcombeDiff } from '../../taxonomy/stats/newcombe.ts';
import { twoProportionZ } from '../../taxonomy/stats/ztest.ts';
import { benjaminiHochberg } from '../../taxonomy/stats/bh.ts';
import { CONFIG } from '../../taxonomy/config.ts';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { bySignatureOrder } from '../../taxonomy/signatures/index.ts';
import { COUNT, KEY, rateDenominator } from '../store/counters.ts';
import { metric, type Cells } from './aggregates.ts';
import { rateOf, type RateOut } from './rates.ts';

export interface Side { count: number; n: number; rate: RateOut }
export interface Tested { from: Side; to: Side; diff: { value: number; low: number; high: number } | null; z: number | null; p: number | null; q: number | null; tooFew: boolean }

export const Q_LEVEL = CONFIG.qLevel;

const side = (count: number, n: number): Side => ({ count, n, rate: rateOf(count, n) });

/** Tests a list of (from, to) count pairs together; too-few cells are shown but not tested. */
export function testCells(pairs: Array<{ from: [number, number]; to: [number, number] }>): Tested[] {
  const out: Tested[] = pairs.map(({ from, to }) => {
    const tooFew = from[1] < CONFIG.minCellItems || to[1] < CONFIG.minCellItems;
    if (tooFew) return { from: side(...from), to: side(...to), diff: null, z: null, p: null, q: null, tooFew };
    const d = newcombeDiff(to[0], to[1], from[0], from[1]);
    const t = twoProportionZ(to[0], to[1], from[0], from[1]);
    return { from: side(...from), to: side(...to), diff: d, z: t.z, p: t.p, q: null, tooFew };
  });
  const tested = out.filter((c) => c.p !== null);
  const qs = benjaminiHochberg(tested.map((c) => c.p!));
  tested.forEach((c, i) => { c.q = qs[i]; });
  return out;
}

/** n of a policy cell: items − excluded − pending (SPEC §9). */
/** The excluded signature's counter: compare shows the model's signatures only. */
const AMBIG_KEY = `${KEY.sig}LBL.AMBIG`;

export const cellN = (c: Map<string, number> | undefined) =>
  rateDenominator({ items: metric(c, COUNT.items), excluded: metric(c, COUNT.excluded), pending: metric(c, COUNT.pending) });
export const cellFailures = (c: Map<string, number> | undefined) => metric(c, COUNT.failures) - metric(c, COUNT.excluded);

export function verdict(t: Tested): 'improved' | 'regressed' | 'no_change' | 'too_few' {
  if (t.tooFew) return 'too_few';
  if (t.q !== null && t.q < Q_LEVEL && t.diff) return t.diff.value < 0 ? 'improved' : t.diff.value > 0 ? 'regressed' : 'no_change';
  return 'no_change';
}

/** Cells of GET /compare: per policy, "*" (the failure rate) and every signature but LBL.AMBIG seen in either version. */
export function compareCells(from: Cells, to: Cells) {
  const policies = [...new Set([...from.keys(), ...to.keys()])].sort((a, b) => POLICY_CODES.indexOf(a) - POLICY_CODES.indexOf(b));
  const keys: Array<{ policy: string; signature: string }> = [];
  const pairs: Array<{ from: [number, number]; to: [number, number] }> = [];
  for (const policy of policies) {
    const f = from.get(policy);
    const t = to.get(policy);
    const nf = cellN(f);
    const nt = cellN(t);
    keys.push({ policy, signature: '*' });
    pairs.push({ from: [cellFailures(f), nf], to: [cellFailures(t), nt] });
    const sigs = new Set<string>();
    for (const c of [f, t]) for (const [k, v] of c ?? []) if (k.startsWith(KEY.sig) && v > 0 && k !== AMBIG_KEY) sigs.add(k.slice(KEY.sig.length));
    for (const s of [...sigs].sort(bySignatureOrder)) {
      keys.push({ policy, signature: s });
      pairs.push({ from: [metric(f, KEY.sig + s), nf], to: [metric(t, KEY.sig + s), nt] });
    }
  }
  const tested = testCells(pairs);
  return keys.map((k, i) => {
    const t = tested[i];
    return { ...k, from: t.from, to: t.to, diff: t.diff, z: t.z, p: t.p, q: t.q, verdict: verdict(t) };
  });
}
