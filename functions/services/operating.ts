// SPEC §12 from the counters (store/operating-counts.ts), never from items: operating points
// per policy and pooled, the threshold recommendation with its arithmetic, the cost curve the
// region page draws, and time to detect.
import { costCurve, OPERATING, operatingPoint, recommendThreshold, type Confusion, type ScoreHistograms } from '../../taxonomy/operating/index.ts';
import { policyByCode, POLICY_CODES } from '../../taxonomy/policies.ts';
import { OP_KEY } from '../store/operating-counts.ts';
import { policyTimeToDetect, scoreHistogramsOf, type DelayBuckets } from '../store/histograms.ts';
import { byPrefix, metric, type Cells } from './aggregates.ts';

type Cell = Map<string, number>;

const policiesOf = (cells: Cells) => [...cells.keys()].sort((a, b) => POLICY_CODES.indexOf(a) - POLICY_CODES.indexOf(b));

/** Outcomes of the items that are not excluded: the outcome counters less the excluded ones. */
function confusion(cs: Cell[]): Confusion {
  const sum = (o: string) => cs.reduce((s, c) => s + metric(c, o) - metric(c, OP_KEY.excluded + o), 0);
  return { tp: sum('tp'), fp: sum('fp'), tn: sum('tn'), fn: sum('fn') };
}

/** `[{policy, tp, fp, tn, fn, precision, recall, fpr, fnr}]`, policies then "*" pooled. */
export function operatingPoints(cells: Cells) {
  const policies = policiesOf(cells);
  return [
    ...policies.map((policy) => ({ policy, ...operatingPoint(confusion([cells.get(policy)!])) })),
    { policy: '*', ...operatingPoint(confusion([...cells.values()])) },
  ];
}

/** A cell's score histograms: as read with it (store/histograms.ts), else from counters named
 *  `op:v:<bin>` / `op:b:<bin>` in the cell itself. */
function histograms(c: Cell): ScoreHistograms {
  const read = scoreHistogramsOf(c);
  if (read) return read;
  const violating: number[] = new Array(101).fill(0);
  const benign: number[] = new Array(101).fill(0);
  for (const [k, n] of c) {
    if (!n) continue;
    if (k.startsWith(OP_KEY.violating)) violating[Number(k.slice(OP_KEY.violating.length))] = n;
    else if (k.startsWith(OP_KEY.benign)) benign[Number(k.slice(OP_KEY.benign.length))] = n;
  }
  return { violating, benign };
}

/** The policy's default, or the threshold every item of the cell was decided at (SPEC §12). */
function thresholdNow(c: Cell, policyDefault: number): number {
  const used = [...byPrefix([c], OP_KEY.threshold).keys()];
  return used.length === 1 ? Number(used[0]) : policyDefault;
}

/** What the threshold arithmetic of one policy needs; null for a policy the catalogue lacks. */
function thresholdInput(policy: string, c: Cell) {
  const def = policyByCode(policy);
  if (!def) return null;
  const { fp, fn } = confusion([c]);
  return { hist: histograms(c), severity: def.severity, defaultThreshold: def.threshold, thresholdNow: thresholdNow(c, def.threshold), now: { fp, fn } };
}

/** `thresholds`: one recommendation per policy with n ≥ 200 whose cheapest threshold costs less than now. */
export function thresholds(cells: Cells) {
  return policiesOf(cells).flatMap((policy) => {
    const input = thresholdInput(policy, cells.get(policy)!);
    const rec = input && recommendThreshold(input);
    return rec ? [{ policy, ...rec }] : [];
  });
}

export type ThresholdOut = ReturnType<typeof thresholds>[number];

/** Cost against threshold per policy with scored items, and the cost now, for the region page's chart. */
export function costCurves(cells: Cells) {
  return policiesOf(cells).flatMap((policy) => {
    const input = thresholdInput(policy, cells.get(policy)!);
    if (!input || input.hist.violating.every((n) => n === 0) && input.hist.benign.every((n) => n === 0)) return [];
    const costNow = input.severity * input.now.fn + OPERATING.fpCost * input.now.fp;
    return [{ policy, severity: input.severity, threshold_now: input.thresholdNow, cost_now: costNow, curve: costCurve(input.hist, input.severity) }];
  });
}

export type CostCurve = ReturnType<typeof costCurves>[number];

/** `time_to_detect`: per policy with live TPs, in milliseconds. */
export function timesToDetect(cells: Cells, delays: DelayBuckets) {
  return policiesOf(cells).flatMap((policy) => {
    const t = policyTimeToDetect(delays, policy);
    return t ? [{ policy, ...t }] : [];
  });
}

const signed = (n: number) => (n < 0 ? `−${-n}` : `+${n}`);

/** "set hate.slur in AR to 0.43: −38 FN, +6 FP" */
export function thresholdText(region: string, t: ThresholdOut): string {
  return `set ${t.policy} in ${region} to ${t.threshold.toFixed(2)}: ${signed(t.fn.then - t.fn.now)} FN, ${signed(t.fp.then - t.fp.now)} FP`;
}

/**
 * The scorecard's §12 fields, and its recommendations with the threshold arithmetic as the
 * detail of INF.THRESHOLD ("change the threshold" says to what; null when no threshold costs less).
 */
export function operatingSection<R extends { intervention: string }>(region: string, cells: Cells, delays: DelayBuckets, recommendations: R[]) {
  const t = thresholds(cells);
  const detail = t.length ? { text: t.map((x) => thresholdText(region, x)).join('; '), thresholds: t } : null;
  return {
    recommendations: recommendations.map((r) => (r.intervention === THRESHOLD_INTERVENTION ? { ...r, detail } : r)),
    operating_points: operatingPoints(cells),
    thresholds: t,
    time_to_detect: timesToDetect(cells, delays),
  };
}

const THRESHOLD_INTERVENTION = 'INF.THRESHOLD';
