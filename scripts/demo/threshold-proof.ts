// The proof of SPEC §12 on the demo's threshold plant (thr-a): the scorecard's recommended
// threshold applied to the plant's own items — how many of its planted failures (false alarms
// just above the threshold, misses just below) it removes. Pure; the worker test and the
// planted benchmark both use it.
import type { DemoSlice } from './world.ts';
import { policyByCode } from '../../taxonomy/policies.ts';

export interface ThresholdProof {
  planted: number;
  /** The plant's FPs and FNs at the items' thresholds now, and at the recommended threshold. */
  now: { fp: number; fn: number };
  then: { fp: number; fn: number };
}

export function thresholdProof(slice: Pick<DemoSlice, 'items' | 'truth'>, plantId: string, threshold: number): ThresholdProof {
  const ids = new Set(slice.truth.planted.find((p) => p.plant === plantId)?.items ?? []);
  const k = Math.round(threshold * 100);
  const out: ThresholdProof = { planted: 0, now: { fp: 0, fn: 0 }, then: { fp: 0, fn: 0 } };
  for (const it of slice.items) {
    if (!ids.has(it.item_id) || !it.prediction || !it.label) continue;
    out.planted++;
    const s = it.prediction.score;
    const flaggedNow = s >= (it.prediction.threshold ?? policyByCode(it.policy)!.threshold);
    const flaggedThen = Math.floor(s * 100 + 1e-9) >= k; // SPEC §12's grid rule
    for (const [flagged, tally] of [[flaggedNow, out.now], [flaggedThen, out.then]] as const) {
      if (flagged && !it.label.violating) tally.fp++;
      if (!flagged && it.label.violating) tally.fn++;
    }
  }
  return out;
}
