// The demo's threshold plant (thr-a) checked from a slice's items alone, independently of
// taxonomy/operating: SPEC §12's argmin over the 0.01 grid by brute force, and what a threshold
// does to the plant's own items. Shared by the pure world test and the worker's scorecard test.
import type { DemoSlice } from '../../scripts/demo/world.ts';
import { policyByCode } from '../../taxonomy/policies.ts';

const flaggedAt = (score: number, k: number) => Math.floor(score * 100 + 1e-9) >= k;

/** The cheapest k/100 over the slice's items of the policy (ties: nearest the default, then lower). */
export function bruteForceThreshold(slice: Pick<DemoSlice, 'items'>, policy: string) {
  const def = policyByCode(policy)!;
  const items = slice.items.filter((i) => i.policy === policy && i.prediction && i.label);
  let best = { k: 0, cost: Infinity, fp: 0, fn: 0 };
  for (let k = 1; k <= 99; k++) {
    let fp = 0; let fn = 0;
    for (const i of items) {
      const flagged = flaggedAt(i.prediction!.score, k);
      if (flagged && !i.label!.violating) fp++;
      if (!flagged && i.label!.violating) fn++;
    }
    const cost = def.severity * fn + fp;
    const nearer = Math.abs(k / 100 - def.threshold) < Math.abs(best.k / 100 - def.threshold) - 1e-12;
    if (cost < best.cost || (cost === best.cost && nearer)) best = { k, cost, fp, fn };
  }
  return { n: items.length, ...best };
}

/** The plant's items of the slice: its false alarms and misses at their own thresholds now, and at k/100. */
export function plantedAt(slice: Pick<DemoSlice, 'items' | 'truth'>, plantId: string, k: number) {
  const ids = new Set(slice.truth.planted.find((p) => p.plant === plantId)?.items ?? []);
  const out = { planted: 0, fp: { now: 0, then: 0 }, fn: { now: 0, then: 0 } };
  for (const i of slice.items) {
    if (!ids.has(i.item_id)) continue;
    out.planted++;
    const s = i.prediction!.score;
    const now = s >= (i.prediction!.threshold ?? policyByCode(i.policy)!.threshold);
    const then = flaggedAt(s, k);
    if (i.label!.violating) { out.fn.now += +!now; out.fn.then += +!then; } else { out.fp.now += +now; out.fp.then += +then; }
  }
  return out;
}
