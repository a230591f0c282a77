// Operating points (SPEC §12) checked against numbers computed independently here: by hand,
// from Wilson's formula, and by brute force over the items (every threshold tried directly).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { operatingPoint, recommendThreshold, scoreBin, timeToDetect, costCurve, timeToDetectBucketed, delayBucket, delayBucketsNeeded } from '../../taxonomy/operating/index.ts';

function rng(seed: number) {
  return () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

describe('precision, recall, FPR, FNR', () => {
  it('are the textbook ratios with Wilson intervals, null on an empty denominator, too_few below 30', () => {
    const op = operatingPoint({ tp: 40, fp: 10, tn: 900, fn: 20 });
    expect(op.precision!.value).toBeCloseTo(0.8, 15);
    expect(op.recall!.value).toBeCloseTo(40 / 60, 15);
    expect(op.fpr!.value).toBeCloseTo(10 / 910, 15);
    expect(op.fnr!.value).toBeCloseTo(20 / 60, 15);
    // Wilson for 40/50 by hand: centre (0.8 + z²/100)/(1 + z²/50), half-width z/(1 + z²/50)·√(0.8·0.2/50 + z²/10000).
    const z = 1.959964, z2 = z * z;
    const centre = (0.8 + z2 / 100) / (1 + z2 / 50), half = (z / (1 + z2 / 50)) * Math.sqrt(0.16 / 50 + z2 / 10000);
    expect(op.precision!.low).toBeCloseTo(centre - half, 12);
    expect(op.precision!.high).toBeCloseTo(centre + half, 12);
    expect(op.precision!.too_few).toBe(false);
    const small = operatingPoint({ tp: 0, fp: 0, tn: 12, fn: 3 });
    expect(small.precision).toBeNull();
    expect(small.recall).toMatchObject({ value: 0, too_few: true });
  });
});

describe('threshold recommendation', () => {
  it('bins scores on the 0.01 grid without float slips', () => {
    expect([0, 0.43, 0.5, 0.29, 0.57, 0.999, 1].map(scoreBin)).toEqual([0, 43, 50, 29, 57, 99, 100]);
  });

  it('recommends the hand-worked threshold with its FP, FN and cost', () => {
    // 300 items: violating at 0.30 (60) and 0.70 (90); benign at 0.20 (140) and 0.45 (10).
    // Threshold now 0.5 (severity 4): FN = 60 (the 0.30s), FP = 0 → cost 240.
    // Any t in (0.20, 0.30]: FN 0, FP 10 → cost 10; nearest 0.5 among 0.21…0.30 is 0.30.
    const violating = new Array(101).fill(0), benign = new Array(101).fill(0);
    violating[30] = 60; violating[70] = 90; benign[20] = 140; benign[45] = 10;
    const rec = recommendThreshold({ hist: { violating, benign }, severity: 4, defaultThreshold: 0.5, thresholdNow: 0.5, now: { fp: 0, fn: 60 } });
    expect(rec).toEqual({ threshold_now: 0.5, threshold: 0.3, fp: { now: 0, then: 10 }, fn: { now: 60, then: 0 }, cost: { now: 240, then: 10 } });
  });

  it('says nothing below 200 items or when no threshold beats now', () => {
    const violating = new Array(101).fill(0), benign = new Array(101).fill(0);
    violating[80] = 50; benign[10] = 149;
    const args = { severity: 3, defaultThreshold: 0.5, thresholdNow: 0.5, now: { fp: 0, fn: 0 } };
    expect(recommendThreshold({ hist: { violating, benign }, ...args })).toBeNull(); // 199 items
    benign[10] = 150;
    expect(recommendThreshold({ hist: { violating, benign }, ...args })).toBeNull(); // cost 0 now
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`matches a brute force over the items (seed ${seed})`, () => {
      const r = rng(seed);
      const severity = 1 + Math.floor(r() * 5), def = [0.35, 0.4, 0.5, 0.6][seed % 4];
      // Scores with two decimals and raw floats mixed; violating items skew high.
      const items = Array.from({ length: 200 + Math.floor(r() * 800) }, () => {
        const violating = r() < 0.3;
        let s = Math.min(1, Math.max(0, (violating ? 0.35 : 0.1) + r() * 0.6));
        if (r() < 0.5) s = Math.round(s * 100) / 100;
        return { s, violating };
      });
      const predicted = (s: number, k: number) => Math.floor(s * 100 + 1e-9) >= k;
      let best: { k: number; fp: number; fn: number; cost: number } | null = null;
      for (let k = 1; k <= 99; k++) {
        const fp = items.filter((i) => !i.violating && predicted(i.s, k)).length;
        const fn = items.filter((i) => i.violating && !predicted(i.s, k)).length;
        const cost = severity * fn + fp;
        const better = !best || cost < best.cost || (cost === best.cost && Math.abs(k / 100 - def) < Math.abs(best.k / 100 - def) - 1e-12);
        if (better) best = { k, fp, fn, cost };
      }
      const nowFp = items.filter((i) => !i.violating && i.s >= def).length, nowFn = items.filter((i) => i.violating && i.s < def).length;
      const violating = new Array(101).fill(0), benign = new Array(101).fill(0);
      for (const i of items) (i.violating ? violating : benign)[scoreBin(i.s)]++;
      const rec = recommendThreshold({ hist: { violating, benign }, severity, defaultThreshold: def, thresholdNow: def, now: { fp: nowFp, fn: nowFn } });
      const costNow = severity * nowFn + nowFp;
      if (best!.cost < costNow) {
        expect(rec).toEqual({ threshold_now: def, threshold: best!.k / 100, fp: { now: nowFp, then: best!.fp }, fn: { now: nowFn, then: best!.fn }, cost: { now: costNow, then: best!.cost } });
      } else {
        expect(rec).toBeNull();
      }
      // The whole curve, not just its minimum.
      const curve = costCurve({ violating, benign }, severity);
      for (const k of [1, 17, 50, 99]) {
        const fp = items.filter((i) => !i.violating && predicted(i.s, k)).length;
        expect(curve[k - 1]).toEqual({ threshold: k / 100, fp, fn: items.filter((i) => i.violating && !predicted(i.s, k)).length, cost: severity * items.filter((i) => i.violating && !predicted(i.s, k)).length + fp });
      }
    });
  }
});

describe('time to detect', () => {
  it('takes nearest-rank percentiles and the share within 30 s', () => {
    // 10 delays: p50 = 5th smallest, p90 = 9th, p99 = 10th.
    const d = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 31_000, 40_000, 30_000];
    const hist = new Map<number, number>();
    for (const v of d) hist.set(v, (hist.get(v) ?? 0) + 1);
    expect(timeToDetect(hist)).toEqual({ n: 10, p50: 5000, p90: 31_000, p99: 40_000, within_30s: 0.8 });
    expect(timeToDetect([])).toBeNull();
  });
  it('matches sorting the raw delays', () => {
    const r = rng(9);
    const raw = Array.from({ length: 537 }, () => Math.floor(r() * 60) * 1000);
    const hist = new Map<number, number>();
    for (const v of raw) hist.set(v, (hist.get(v) ?? 0) + 1);
    const s = [...raw].sort((a, b) => a - b), at = (p: number) => s[Math.ceil(p * s.length) - 1];
    expect(timeToDetect(hist)).toEqual({ n: 537, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: raw.filter((v) => v <= 30_000).length / 537 });
  });
  it('bucketed: from per-second counts and the values of the buckets it asks for, the answer over every value', () => {
    // Delays of live TPs as the store keeps them: any ms (negative, fractional, both sides of
    // the 30 s bound); the reference sorts the raw values (nearest rank, ⌈p·n⌉-th smallest).
    const delay = fc.oneof(fc.integer({ min: -5_000, max: 120_000 }), fc.integer({ min: 29_000, max: 31_000 }),
      fc.double({ min: -2_000, max: 60_000, noNaN: true }));
    fc.assert(fc.property(fc.array(delay, { minLength: 0, maxLength: 400 }), (raw) => {
      const coarse = new Map<number, number>();
      const fine = new Map<number, Map<number, number>>();
      for (const v of raw) {
        const b = delayBucket(v);
        coarse.set(b, (coarse.get(b) ?? 0) + 1);
        if (!fine.has(b)) fine.set(b, new Map());
        fine.get(b)!.set(v, (fine.get(b)!.get(v) ?? 0) + 1);
      }
      const needed = delayBucketsNeeded(coarse);
      expect(needed.length).toBeLessThanOrEqual(4);
      const given = new Map(needed.map((b) => [b, fine.get(b)!]));
      const got = timeToDetectBucketed(coarse, given);
      if (raw.length === 0) { expect(got).toBeNull(); return; }
      const s = [...raw].sort((a, b) => a - b), at = (p: number) => s[Math.ceil(p * s.length - 1e-9) - 1];
      expect(got).toEqual({ n: raw.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: raw.filter((v) => v <= 30_000).length / raw.length });
    }), { numRuns: 300, seed: 16 });
  });
  it('bucketed: refuses to answer from a bucket it was not given', () => {
    expect(() => timeToDetectBucketed([[3, 2]], new Map())).toThrow(/bucket 3/);
  });
});
