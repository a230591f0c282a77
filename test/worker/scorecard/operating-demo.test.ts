// SPEC §12's proof on demo-like data: the threshold plant thr-a (scripts/demo/world.ts, the
// planted benchmark's seed and regions, 2,000 items per region so its policy cell reaches
// n ≥ 200) gets, in every region × version with the plant, a recommendation equal to the
// brute-force argmin over the slice's items, and that threshold, applied to the plant's items,
// removes every planted false alarm.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { DEMO_REGIONS, generateRegionSlices, planWorld } from '../../../scripts/demo/world.ts';
import { thresholdProof } from '../../../scripts/demo/threshold-proof.ts';
import { bruteForceThreshold, plantedAt } from '../../taxonomy/thr-plant.ts';

const plan = planWorld({ seed: 42, regions: DEMO_REGIONS.slice(0, 120), itemsPerRegion: 2000, versions: 3, model: 'avlm-thr' });
const plant = plan.plants.find((p) => p.id === 'thr-a')!;
const slices = plant.regions.flatMap((region) => generateRegionSlices(plan, region));
const present = slices.filter((s) => plant.versions.includes(s.model.version));
const key = (s: { region: string; model: { version: string } }) => `${s.region} v${s.model.version}`;

describe(`thr-a (${plant.regions.join(', ')}; ${plant.policy}): the recommended threshold removes the planted false alarms`, () => {
  const sc: Record<string, any> = {};
  beforeAll(async () => {
    for (const s of slices) {
      const r = await submit(s.region, { slice_id: s.slice_id, model: s.model, items: s.items }, { ndjson: true });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      sc[key(s)] = (await api(`/v1/regions/${s.region}/scorecard?model=avlm-thr&version=${s.model.version}`)).data;
    }
  }, 300_000);

  it(`v${plant.versions.join(', v')} in every region (plant present): the recommendation is the brute-force argmin, and at it no planted false alarm is left`, () => {
    expect(present).toHaveLength(plant.regions.length * plant.versions.length);
    for (const s of present) {
      const at = key(s);
      expect(s.truth.expected[plant.policy!]?.['LBL.AMBIG'] ?? 0, at).toBe(0); // nothing excluded in the cell
      const t = sc[at].thresholds.find((x: any) => x.policy === plant.policy);
      const b = bruteForceThreshold(s, plant.policy!);
      expect(b.n, at).toBeGreaterThanOrEqual(200);
      expect(t, at).toMatchObject({ threshold_now: 0.5, threshold: b.k / 100, fp: { then: b.fp }, fn: { then: b.fn }, cost: { then: b.cost } });
      const p = plantedAt(s, plant.id, Math.round(t.threshold * 100));
      expect(p.planted, at).toBe(plant.failuresPerSlice);
      expect(p.fp.now, at).toBeGreaterThan(0.7 * p.planted); // mostly false alarms …
      expect(p.fp.then, at).toBe(0); // … every one of them removed
      // The planted misses sit just below the threshold: raising it cannot fix them (nor adds any).
      expect(p.fn.then, at).toBe(p.fn.now);
      // The benchmark's proof (scripts/demo/threshold-proof.ts) counts the same.
      expect(thresholdProof(s, plant.id, t.threshold), at).toEqual({ planted: p.planted, now: { fp: p.fp.now, fn: p.fn.now }, then: { fp: p.fp.then, fn: p.fn.then } });
      const rec = sc[at].recommendations.find((x: any) => x.intervention === 'INF.THRESHOLD');
      expect(rec.detail.text, at).toContain(`set ${plant.policy} in ${s.region} to ${t.threshold.toFixed(2)}`);
    }
  });

  it(`v${plant.fixedIn} (fixed with a per-region threshold on every item, as the plant fix): no threshold costs less any more`, () => {
    for (const region of plant.regions) {
      const op = sc[`${region} v${plant.fixedIn}`].operating_points.find((o: any) => o.policy === plant.policy);
      const before = sc[`${region} v${plant.versions.at(-1)}`].operating_points.find((o: any) => o.policy === plant.policy);
      expect(op.fp, region).toBeLessThan(before.fp / 10);
      expect(sc[`${region} v${plant.fixedIn}`].thresholds.find((x: any) => x.policy === plant.policy), region).toBeUndefined();
    }
  });
});
