// The threshold that would have cost least on an eval slice (SPEC §12): scores are kept as
// histograms on the 0.01 grid per label, so every candidate's FP and FN are exact sums over
// bins — additive aggregates a label edit moves like any other counter.
import { OPERATING } from './config.ts';

/** Histogram bin of a score: floor(score·100 + 1e-9), so 0.43 (0.42999…) lands in bin 43. */
export function scoreBin(score: number): number {
  return Math.min(OPERATING.gridSteps, Math.max(0, Math.floor(score * OPERATING.gridSteps + 1e-9)));
}

export interface ScoreHistograms {
  /** Per bin 0 … 100: items labelled violating / not violating (with an outcome, not excluded). */
  violating: readonly number[];
  benign: readonly number[];
}

export interface ThresholdInput {
  hist: ScoreHistograms;
  severity: number;
  /** The policy's default threshold (ties go to the candidate nearest it). */
  defaultThreshold: number;
  /** The threshold the items were decided at: the policy's default, or the one they all share. */
  thresholdNow: number;
  /** The items' actual FP and FN now. */
  now: { fp: number; fn: number };
}

export interface ThresholdRecommendation {
  threshold_now: number; threshold: number;
  fp: { now: number; then: number }; fn: { now: number; then: number }; cost: { now: number; then: number };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * FP and FN at every candidate k (threshold k/100): an item is predicted violating when its
 * bin ≥ k, so FN(k) = violating items below k and FP(k) = benign items at or above k.
 */
export function costCurve(hist: ScoreHistograms, severity: number): Array<{ threshold: number; fp: number; fn: number; cost: number }> {
  const out = [];
  let fn = 0;
  let fp = sum(hist.benign);
  for (let k = 0; k < OPERATING.gridSteps; k++) {
    if (k >= 1) out.push({ threshold: k / OPERATING.gridSteps, fp, fn, cost: severity * fn + OPERATING.fpCost * fp });
    fn += hist.violating[k] ?? 0;
    fp -= hist.benign[k] ?? 0;
  }
  return out;
}

/** The recommendation, or null when the cell is too small or no threshold costs less than now. */
export function recommendThreshold(input: ThresholdInput): ThresholdRecommendation | null {
  const n = sum(input.hist.violating) + sum(input.hist.benign);
  if (n < OPERATING.minThresholdItems) return null;
  let best: { threshold: number; fp: number; fn: number; cost: number } | null = null;
  for (const c of costCurve(input.hist, input.severity)) {
    if (!best || c.cost < best.cost) { best = c; continue; }
    if (c.cost > best.cost) continue;
    // A tie goes to the threshold nearest the default, then to the lower one (already held).
    if (Math.abs(c.threshold - input.defaultThreshold) < Math.abs(best.threshold - input.defaultThreshold) - 1e-12) best = c;
  }
  const costNow = input.severity * input.now.fn + OPERATING.fpCost * input.now.fp;
  if (!best || !(best.cost < costNow)) return null;
  return {
    threshold_now: input.thresholdNow, threshold: best.threshold,
    fp: { now: input.now.fp, then: best.fp }, fn: { now: input.now.fn, then: best.fn },
    cost: { now: costNow, then: best.cost },
  };
}
