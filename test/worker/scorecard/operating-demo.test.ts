// SPEC §12's proof on demo-like data: the threshold plant thr-a (scripts/demo/world.ts, the
// planted benchmark's seed and regions, 2,000 items per region so its policy cell reaches
// n ≥ 200) gets a recommendation equal to the brute-force argmin over the slice's items, and
// that threshold, applied to the plant's items, removes its planted false alarms.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { DEMO_REGIONS, generateRegionSlices, planWorld, type DemoSlice } from '../../../scripts/demo/world.ts';
import { thresholdProof } from '../../../scripts/demo/threshold-proof.ts';
import { policyByCode } from '../../../taxonomy/policies.ts';

const plan = planWorld({ seed: 42, regions: DEMO_REGIONS.slice(0, 120), itemsPerRegion: 2000, versions: 3, model: 'avlm-thr' });
const plant = plan.plants.find((p) => p.id === 'thr-a')!;
const region = plant.regions[0];
const slices = generateRegionSlices(plan, region);

/** The cheapest k/100 by brute force over the slice's items of the policy (ties: nearest the default, then lower). */
function bruteForce(slice: DemoSlice, policy: string) {
  const def = policyByCode(policy)!;
  const items = slice.items.filter((i) => i.policy === policy && i.prediction && i.label);
  let best = { k: 0, cost: Infinity, fp: 0, fn: 0 };
  for (let k = 1; k <= 99; k++) {
    let fp = 0; let fn = 0;
    for (const i of items) {
      const flagged = Math.floor(i.prediction!.score * 100 + 1e-9) >= k;
      if (flagged && !i.label!.violating) fp++;
      if (!flagged && i.label!.violating) fn++;
    }
    const cost = def.severity * fn + fp;
    if (cost < best.cost || (cost === best.cost && Math.abs(k / 100 - def.threshold) < Math.abs(best.k / 100 - def.threshold) - 1e-12)) best = { k, cost, fp, fn };
  }
  return { n: items.length, ...best };
}

describe(`thr-a (${plant.regions.join(', ')}; ${plant.policy}): the recommended threshold removes the planted false alarms`, () => {
  const sc: Record<string, any> = {};
  beforeAll(async () => {
    for (const s of slices) {
      const r = await submit(region, { slice_id: s.slice_id, model: s.model, items: s.items }, { ndjson: true });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      sc[s.model.version] = (await api(`/v1/regions/${region}/scorecard?model=avlm-thr&version=${s.model.version}`)).data;
    }
  }, 120_000);

  it('v1 and v2 (plant present): the recommendation is the brute-force argmin, and at it no planted false alarm is left', () => {
    for (const s of slices.filter((x) => plant.versions.includes(x.model.version))) {
      expect(s.truth.expected[plant.policy!]?.['LBL.AMBIG'] ?? 0).toBe(0); // nothing excluded in the cell
      const t = sc[s.model.version].thresholds.find((x: any) => x.policy === plant.policy);
      const b = bruteForce(s, plant.policy!);
      expect(b.n).toBeGreaterThanOrEqual(200);
      expect(t).toMatchObject({ threshold_now: 0.5, threshold: b.k / 100, fp: { then: b.fp }, fn: { then: b.fn }, cost: { then: b.cost } });
      const proof = thresholdProof(s, 'thr-a', t.threshold);
      expect(proof.planted).toBe(s.truth.planted.find((p) => p.plant === 'thr-a')!.items.length);
      expect(proof.now.fp).toBeGreaterThan(0.7 * proof.planted); // mostly false alarms …
      expect(proof.then.fp).toBe(0); // … every one of them removed
      // The planted misses sit just below the threshold: raising it cannot fix them (nor adds any).
      expect(proof.then.fn).toBe(proof.now.fn);
      const rec = sc[s.model.version].recommendations.find((x: any) => x.intervention === 'INF.THRESHOLD');
      expect(rec.detail.text).toContain(`set ${plant.policy} in ${region} to ${t.threshold.toFixed(2)}`);
    }
  });

  it('v3 (fixed with a per-region threshold on every item, as the plant fix): no threshold costs less any more', () => {
    const op = sc['3'].operating_points.find((o: any) => o.policy === plant.policy);
    const before = sc['2'].operating_points.find((o: any) => o.policy === plant.policy);
    expect(op.fp).toBeLessThan(before.fp / 10);
    expect(sc['3'].thresholds.find((x: any) => x.policy === plant.policy)).toBeUndefined();
  });
});
