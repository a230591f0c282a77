// The demo world, checked by pure computation with the taxonomy: every planted failure gets
// exactly the plant's primary signature under the precedence order, the generator's own
// record of every primary is right, and each planted region's top recommendation is the
// intervention its plant calls for.
import { describe, it, expect } from 'vitest';
import { DEMO_REGIONS, generateRegionSlices, generateWorld, planWorld, plantIntervention, sliceNdjson } from '../../scripts/demo/world.ts';
import { bruteForceThreshold, plantedAt } from './thr-plant.ts';
import { checkWorld, diagnoseSlice } from '../../scripts/demo/verify.ts';
import { diagnoseItem, effectiveThreshold } from '../../taxonomy/diagnose.ts';
import { CONFIG } from '../../taxonomy/config.ts';
import { POLICY_CODES, policyByCode } from '../../taxonomy/policies.ts';
import { referenceForward } from '../../gpu-backend/model/spec.ts';
import { countries } from 'countries-list';

const SMALL = { seed: 42, regions: ['BR', 'IN', 'US', 'KE', 'DE', 'NG'], itemsPerRegion: 200 };

describe('demo world (pure)', () => {
  it('the fixed demo region set: 120 seeded regions, big markets first', () => {
    expect(DEMO_REGIONS).toHaveLength(120);
    expect(new Set(DEMO_REGIONS).size).toBe(120);
    for (const c of DEMO_REGIONS) expect((countries as Record<string, unknown>)[c], c).toBeDefined();
    expect(DEMO_REGIONS.slice(0, 8)).toEqual(['BR', 'IN', 'US', 'ID', 'DE', 'FR', 'JP', 'NG']);
  });

  it('every planted failure fires exactly its plant\'s primary; the recorded truth matches the taxonomy', () => {
    for (const opts of [SMALL, { ...SMALL, seed: 43 }, { seed: 1, regions: [...DEMO_REGIONS].slice(0, 30), itemsPerRegion: 150 }]) {
      const world = generateWorld(opts);
      const check = checkWorld(world);
      expect(check.planted).toBeGreaterThan(0);
      expect(check.misdiagnosed).toEqual([]);
      expect(check.truthMismatch).toEqual([]);
      expect(check.wrongTop).toEqual([]);
    }
  });

  it('120 regions × 3 versions: all plants recovered by construction, top recommendation as planned', { timeout: 60_000 }, () => {
    const world = generateWorld({ seed: 42, regions: [...DEMO_REGIONS], itemsPerRegion: 300 });
    expect(world.slices).toHaveLength(360);
    const check = checkWorld(world);
    expect(check.misdiagnosed).toEqual([]);
    expect(check.wrongTop).toEqual([]);
    expect(check.truthMismatch).toEqual([]);
    // Not a coin flip: the plant's intervention leads the runner-up by ≥ 20 % (THR.MARGIN's
    // own INF.THRESHOLD 0.6 vs INF.CALIBRATE 0.5 is the closest pair, by the mapping).
    expect(check.minTopMargin).toBeGreaterThanOrEqual(1.2 - 1e-9);
    // Several regions per cause, some regions with nothing planted.
    const planted = new Set(world.plants.flatMap((p) => p.regions));
    expect(planted.size).toBeGreaterThanOrEqual(40);
    expect(planted.size).toBeLessThan(120);
  });

  it('expectIntervention is what the taxonomy ranks first for the signature', () => {
    const world = generateWorld(SMALL);
    for (const p of world.plants) expect(plantIntervention(p.expectSignature, p.policy)).toBe(p.expectIntervention);
    expect(plantIntervention('FUS.SUPPRESS.audio', 'hate.slur')).toBe('TRAIN.MODALITY_DROPOUT');
  });

  it('items follow SPEC §3: policies, thresholds, live timing, votes, features', () => {
    const world = generateWorld(SMALL);
    let live = 0;
    let features = 0;
    let probed = 0;
    let unprobedFailures = 0;
    for (const s of world.slices) {
      const ids = new Set<string>();
      for (const it of s.items) {
        expect(ids.has(it.item_id)).toBe(false);
        ids.add(it.item_id);
        expect(POLICY_CODES).toContain(it.policy);
        expect(it.language).toMatch(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/);
        expect(['vod', 'live', 'short', 'image']).toContain(it.surface);
        expect(it.label).toBeDefined();
        if (it.prediction) {
          expect(it.prediction.score).toBeGreaterThanOrEqual(0);
          expect(it.prediction.score).toBeLessThanOrEqual(1);
        } else {
          expect(it.features?.audio).toHaveLength(16);
          features++;
        }
        if (it.probes) probed++;
        if (it.live) {
          live++;
          expect(it.surface).toBe('live');
          expect(it.live.flag_ms! - it.live.onset_ms!).toBeLessThanOrEqual(CONFIG.lateMs);
        }
        if (it.label!.votes) expect(it.label!.votes.length).toBeGreaterThanOrEqual(3);
      }
      expect(s.items).toHaveLength(200);
      const d = diagnoseSlice(s);
      for (const diag of d.byItem.values()) if (diag.primary === 'UNPROBED') unprobedFailures++;
    }
    expect(live).toBeGreaterThan(0);
    expect(features).toBe(world.slices.length * 4); // 2 % of 200
    expect(probed).toBeGreaterThan(0);
    expect(unprobedFailures).toBeGreaterThan(0);
  });

  it('items with features but no prediction: the reference model decides them as labelled', () => {
    const world = generateWorld({ ...SMALL, regions: [...DEMO_REGIONS].slice(0, 30) });
    for (const it of world.slices.flatMap((s) => s.items).filter((x) => !x.prediction)) {
      const f = it.features!;
      const [row] = referenceForward({ audio: [f.audio!], visual: [f.visual!], text: [f.text!], modality_mask: [[1, 1, 1]], policy_context: [[0]] });
      const score = row[POLICY_CODES.indexOf(it.policy)];
      expect(score >= policyByCode(it.policy)!.threshold).toBe(it.label!.violating);
    }
  });

  it('versions fix plants: fusion in half its regions by v2, threshold and flicker by v3', () => {
    const plan = planWorld({ seed: 42, regions: [...DEMO_REGIONS], itemsPerRegion: 300 });
    const fus = plan.plants.filter((p) => p.cause === 'fusion_suppression');
    expect(fus.map((p) => [p.versions, p.fixedIn])).toEqual([[['1', '2', '3'], undefined], [['1'], '2']]);
    expect(fus[0].regions.length).toBe(fus[1].regions.length);
    expect(plan.plants.find((p) => p.cause === 'threshold')).toMatchObject({ versions: ['1', '2'], fixedIn: '3' });
    expect(plan.plants.find((p) => p.cause === 'asr_language')).toMatchObject({ language: 'sw', regions: ['CD', 'KE', 'TZ', 'UG'] });
    // The threshold fix is a per-region threshold, sent with the items of that policy.
    const world = generateWorld(SMALL);
    const thr = world.plants.find((p) => p.cause === 'threshold')!;
    const v3 = world.slices.find((s) => s.region === thr.regions[0] && s.model.version === '3')!;
    const own = v3.items.filter((it) => it.policy === thr.policy && it.prediction);
    expect(own.every((it) => it.prediction!.threshold === 0.6)).toBe(true);
    // The items that sat just above T in v1/v2 now fall below the region's threshold: no boundary errors left.
    const planted = new Set(world.slices.find((s) => s.region === thr.regions[0] && s.model.version === '2')!.truth.planted[0].items);
    const before = own.filter((it) => planted.has(it.item_id));
    expect(before).toHaveLength(thr.failuresPerSlice);
    expect(before.every((it) => !diagnoseItem(it, { threshold: effectiveThreshold(it) }).failure)).toBe(true);
    expect(diagnoseSlice(v3).primaries[thr.policy!]?.['THR.MARGIN'] ?? 0).toBe(0);
  });

  it('the threshold plant is a threshold set too low for its regions: the cheapest threshold removes every planted false alarm', () => {
    // 2,000 items per region: the plant's cell reaches SPEC §12's n ≥ 200. Seed 42 is the
    // benchmark's; the others show it is the plant, not a lucky draw.
    for (const seed of [42, 7, 99, 2026]) {
      const plan = planWorld({ seed, regions: [...DEMO_REGIONS], itemsPerRegion: 2000 });
      const thr = plan.plants.find((p) => p.id === 'thr-a')!;
      const T = policyByCode(thr.policy!)!.threshold;
      for (const region of thr.regions) {
        for (const s of generateRegionSlices(plan, region).filter((x) => thr.versions.includes(x.model.version))) {
          const at = `seed ${seed} ${region} v${s.model.version}`;
          const planted = new Set(s.truth.planted.find((p) => p.plant === thr.id)!.items);
          // Between T and the region's threshold (T + 0.1) only the plant's false alarms: no other
          // violating item a higher threshold would miss.
          const band = s.items.filter((i) => i.policy === thr.policy && !planted.has(i.item_id) && i.label!.violating
            && i.prediction && i.prediction.score >= T && i.prediction.score < T + 0.1);
          expect(band.map((i) => i.item_id), at).toEqual([]);
          const best = bruteForceThreshold(s, thr.policy!);
          expect(best.n, at).toBeGreaterThanOrEqual(200);
          const p = plantedAt(s, thr.id, best.k);
          expect(p.planted, at).toBe(thr.failuresPerSlice);
          expect(p.fp.now, at).toBeGreaterThanOrEqual(0.8 * p.planted); // mostly false alarms …
          expect(p.fp.then, at).toBe(0); // … every one removed at the cheapest threshold
          expect(p.fn.then, at).toBe(p.fn.now); // the misses sit below T: raising it neither fixes nor adds any
        }
      }
    }
  });

  it('is deterministic and seed-sensitive, down to the NDJSON bytes', () => {
    const a = generateWorld(SMALL);
    const b = generateWorld(SMALL);
    expect(a.slices.map(sliceNdjson)).toEqual(b.slices.map(sliceNdjson));
    expect(JSON.stringify(generateWorld({ ...SMALL, seed: 41 }).slices)).not.toBe(JSON.stringify(a.slices));
  });
});
