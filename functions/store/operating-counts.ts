// The counters behind SPEC §12's operating points, kept in `aggregates` like every other count
// so the scorecard never reads items: per region × version × policy, the score histogram by
// label on the 0.01 grid, the excluded items by outcome, the items' thresholds and the live
// time-to-detect values. AggregateDelta.addItem calls addOperatingCounts, so ingest and every
// later edit (labels, consensus, GPU backend; sign −1 for the old record) move them alike.
import { scoreBin } from '../../taxonomy/operating/index.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import type { Diagnosis, EvalItem } from '../../taxonomy/types.ts';
import { bump, type Tally } from './tally.ts';

/** Prefixes of the families; the rest of the name is a bin, an outcome, a threshold or a delay. */
export const OP_KEY = {
  /** score bin 0–100 → items labelled violating (with an outcome, not excluded) */ violating: 'op:v:',
  /** score bin 0–100 → items labelled not violating (with an outcome, not excluded) */ benign: 'op:b:',
  /** tp|fp|tn|fn → excluded items: the operating points subtract them from the outcome counters */ excluded: 'op:x:',
  /** the threshold an item was decided at → items (with an outcome, not excluded) */ threshold: 'op:t:',
  /**
   * flag_ms − onset_ms of a live TP → items. One counter per distinct value, named by the
   * value's exact decimal form (String(d) reads back as the same number), so the counters ARE the
   * multiset of delays: nearest-rank percentiles from them are exact, not interpolated on a grid.
   * Rows grow with distinct delays, not with items (integer ms below a few minutes in practice).
   */
  delay: 'ttd:',
} as const;

/** Every family but the delays starts with this (one range read). */
export const OP_PREFIX = 'op:';

/** Whether a counter is kept per slice too (slice_aggregates): the operating counters are not —
 *  nothing reads them per slice, and at ~1,000 rows per slice they would double the commit's writes. */
export const isSliceCounter = (metric: string) => !metric.startsWith(OP_PREFIX) && !metric.startsWith(OP_KEY.delay);

const binKeys = (prefix: string) => Array.from({ length: 101 }, (_, b) => `${prefix}${b}`);
const VIOLATING_KEYS = binKeys(OP_KEY.violating);
const BENIGN_KEYS = binKeys(OP_KEY.benign);
const EXCLUDED_KEYS: Record<string, string> = { TP: 'op:x:tp', FP: 'op:x:fp', TN: 'op:x:tn', FN: 'op:x:fn' };

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The delay counted for time to detect, or undefined (not a live TP with both timestamps). */
export function detectDelay(item: EvalItem, d: Diagnosis): number | undefined {
  if (d.outcome !== 'TP') return undefined;
  const onset = item.live?.onset_ms;
  const flag = item.live?.flag_ms;
  return isNum(onset) && isNum(flag) ? flag - onset : undefined;
}

/** Adds (sign 1) or removes (sign −1) one diagnosed item's operating counters to a policy's cell. */
export function addOperatingCounts(cell: Tally, item: EvalItem, d: Diagnosis, sign: number): void {
  if (d.outcome === 'pending') return;
  const delay = detectDelay(item, d);
  if (delay !== undefined) bump(cell, OP_KEY.delay + String(delay), sign);
  if (d.excluded) {
    bump(cell, EXCLUDED_KEYS[d.outcome], sign);
    return;
  }
  // An outcome implies a prediction, hence a score.
  const bin = scoreBin(item.prediction!.score);
  bump(cell, item.label!.violating ? VIOLATING_KEYS[bin] : BENIGN_KEYS[bin], sign);
  const own = item.prediction!.threshold;
  const threshold = isNum(own) ? own : policyByCode(item.policy)?.threshold;
  if (threshold !== undefined) bump(cell, OP_KEY.threshold + String(threshold), sign);
}
