import { describe, it, expect } from 'vitest';
import {
  wilson, newcombeDiff, twoProportionZ, benjaminiHochberg,
  binIndex, binScores, emptyBins, ece, psi, binomialTest, binomialPmf,
} from '../../taxonomy/stats/index.ts';

// Expected values are literals from published tables or worked by hand (noted per case);
// none is produced by the code under test.

describe('wilson', () => {
  // Newcombe 1998a (Stat Med 17:857–872), Table II, method 3 (Wilson score, no cc).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.8830, 1],
  ])('%i/%i → %f–%f (Newcombe 1998 Table II)', (k, n, low, high) => {
    const r = wilson(k, n);
    expect(r.value).toBeCloseTo(k / n, 12);
    expect(r.low).toBeCloseTo(low, 4);
    expect(r.high).toBeCloseTo(high, 4);
  });

  it('0 and n successes hit the bounds exactly', () => {
    // by hand: 0/10 upper = z²/(n + z²) = 3.841459/13.841459 = 0.277533
    expect(wilson(0, 10)).toEqual({ value: 0, low: 0, high: expect.closeTo(0.277533, 6) });
    expect(wilson(10, 10)).toEqual({ value: 1, low: expect.closeTo(1 - 0.277533, 6), high: 1 });
  });

  it('n = 0 is the uninformative [0, 1]', () => {
    expect(wilson(0, 0)).toEqual({ value: 0, low: 0, high: 1 });
  });

  it('rejects impossible counts', () => {
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(-1, 2)).toThrow(RangeError);
  });
});

describe('newcombeDiff (method 10)', () => {
  // Newcombe 1998b (Stat Med 17:873–890), Table II, method 10 — examples (a), (b), (d)–(h).
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.8090],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ])('%i/%i − %i/%i → %f to %f', (ka, na, kb, nb, low, high) => {
    const d = newcombeDiff(ka, na, kb, nb);
    expect(d.value).toBeCloseTo(ka / na - kb / nb, 12);
    expect(d.low).toBeCloseTo(low, 4);
    expect(d.high).toBeCloseTo(high, 4);
  });

  it('an empty side widens to the whole range around the other', () => {
    // before has n = 0 → Wilson [0,1] with value 0; after 5/10: 0.5 with Wilson 0.236593–0.763407
    const d = newcombeDiff(5, 10, 0, 0);
    expect(d.value).toBe(0.5);
    // low = 0.5 − hypot(0.5 − 0.236593, 1 − 0) = 0.5 − 1.034106 = −0.534106
    expect(d.low).toBeCloseTo(-0.534106, 5);
    // high = 0.5 + hypot(0.763407 − 0.5, 0) = 0.763407
    expect(d.high).toBeCloseTo(0.763407, 5);
  });
});

describe('twoProportionZ', () => {
  it('56/70 vs 48/80 (by hand)', () => {
    // pooled 104/150 = 0.693333; se = sqrt(0.693333·0.306667·(1/70 + 1/80)) = 0.0754670;
    // z = 0.2/0.0754670 = 2.650172; p = erfc(2.650172/√2) = 0.0080451
    const r = twoProportionZ(56, 70, 48, 80);
    expect(r.z).toBeCloseTo(2.650172, 5);
    expect(r.p).toBeCloseTo(0.0080451, 6);
  });

  it('sign follows the first minus the second', () => {
    // 15/50 = 0.3 vs 30/60 = 0.5, pooled 45/110; z = −2.124340, p = 0.0336417 (by hand, as above)
    const r = twoProportionZ(15, 50, 30, 60);
    expect(r.z).toBeCloseTo(-2.12434, 5);
    expect(r.p).toBeCloseTo(0.0336417, 6);
  });

  it('pooled rate 0 or 1, or an empty side: no evidence', () => {
    expect(twoProportionZ(0, 40, 0, 50)).toEqual({ z: 0, p: 1 });
    expect(twoProportionZ(40, 40, 50, 50)).toEqual({ z: 0, p: 1 });
    expect(twoProportionZ(3, 10, 0, 0)).toEqual({ z: 0, p: 1 });
  });

  it('equal rates: z 0, p 1', () => {
    const r = twoProportionZ(10, 100, 20, 200);
    expect(r.z).toBe(0);
    expect(r.p).toBeCloseTo(1, 12);
  });
});

describe('benjaminiHochberg', () => {
  it('Benjamini & Hochberg 1995, §4 example: 15 p-values, 4 discoveries at 0.05', () => {
    const p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
      0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0];
    // q_i = min_{j≥i} p_j·15/j, worked by hand: e.g. q_4 = 0.0095·15/4 = 0.035625,
    // q_6 = min(0.0278·15/6 = 0.0695, q_7 = 0.0298·15/7 = 0.0638571) = 0.0638571.
    const expected = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571, 0.0638571, 0.0645,
      0.0765, 0.486, 0.5811818, 0.714875, 0.7532308, 0.8132143, 1];
    const q = benjaminiHochberg(p);
    q.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(q.filter((v) => v < 0.05)).toHaveLength(4);
  });

  it('keeps input order, is monotone in p, caps at 1', () => {
    // sorted: 0.01 (×3/1 = 0.03), 0.02 (×3/2 = 0.03), 0.5 (×3/3 = 0.5)
    expect(benjaminiHochberg([0.5, 0.01, 0.02])).toEqual([0.5, 0.03, 0.03]);
    // 0.9·2/1 = 1.8 → min with 0.95·2/2 = 0.95
    expect(benjaminiHochberg([0.95, 0.9])).toEqual([0.95, 0.95]);
    // a single 1 stays 1; never above 1
    expect(benjaminiHochberg([0.6, 1])).toEqual([1, 1]);
  });

  it('all-equal p-values keep their value', () => {
    expect(benjaminiHochberg([0.04, 0.04, 0.04, 0.04])).toEqual([0.04, 0.04, 0.04, 0.04]);
  });

  it('empty in, empty out; rejects p outside [0,1]', () => {
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => benjaminiHochberg([0.1, Number.NaN])).toThrow(RangeError);
    expect(() => benjaminiHochberg([1.2])).toThrow(RangeError);
  });
});

describe('ece', () => {
  it('binIndex: half-open bins, last closed', () => {
    expect(binIndex(0)).toBe(0);
    expect(binIndex(0.0999)).toBe(0);
    expect(binIndex(0.1)).toBe(1);
    expect(binIndex(0.3)).toBe(3);
    expect(binIndex(0.7)).toBe(7);
    expect(binIndex(0.9)).toBe(9);
    expect(binIndex(1)).toBe(9);
    expect(() => binIndex(1.01)).toThrow(RangeError);
    expect(() => binIndex(Number.NaN)).toThrow(RangeError);
  });

  it('two bins, worked by hand', () => {
    const bins = binScores([
      // bin 1: scores 0.1, 0.1, 0.2, 0.2 (mean 0.15), 1 of 4 violating (0.25) → gap −0.10
      { score: 0.1, violating: false }, { score: 0.1, violating: true },
      { score: 0.2 - 1e-9, violating: false }, { score: 0.2 - 1e-9, violating: false },
      // bin 9: 0.9 and 1.0 (mean 0.95), both violating → gap −0.05
      { score: 0.9, violating: true }, { score: 1.0, violating: true },
    ]);
    // ECE = 4/6·0.10 + 2/6·0.05 = 0.0666667 + 0.0166667 = 0.0833333
    const r = ece(bins);
    expect(r.n).toBe(6);
    expect(r.ece).toBeCloseTo(0.0833333, 6);
    expect(r.bins[1]).toMatchObject({ lo: 0.1, hi: 0.2, n: 4, shareViolating: 0.25 });
    expect(r.bins[1].meanScore).toBeCloseTo(0.15, 8);
    expect(r.bins[1].gap).toBeCloseTo(-0.1, 8);
    expect(r.bins[9]).toMatchObject({ lo: 0.9, hi: 1, n: 2, meanScore: 0.95, shareViolating: 1 });
    expect(r.bins[0]).toEqual({ lo: 0, hi: 0.1, n: 0, meanScore: null, shareViolating: null, gap: null });
  });

  it('one bin: ECE is that bin’s gap', () => {
    const bins = emptyBins();
    bins[7] = { n: 10, sumScore: 7.5, positives: 5 }; // |0.75 − 0.5| = 0.25
    expect(ece(bins).ece).toBeCloseTo(0.25, 12);
  });

  it('a calibrated bin adds 0; no items is null', () => {
    const bins = emptyBins();
    bins[5] = { n: 4, sumScore: 2.2, positives: 2 }; // mean 0.55 vs share 0.5 → |gap| 0.05
    bins[2] = { n: 5, sumScore: 1, positives: 1 };   // mean 0.2 vs share 0.2 → 0
    // ECE = 4/9·0.05 + 5/9·0 = 0.0222222
    expect(ece(bins).ece).toBeCloseTo(0.0222222, 6);
    expect(ece(emptyBins())).toMatchObject({ ece: null, n: 0 });
    expect(() => ece([])).toThrow(RangeError);
  });
});

describe('psi', () => {
  it('identical distributions (any scale) → 0', () => {
    expect(psi([1, 2, 3, 0], [10, 20, 30, 0])).toBe(0);
    expect(psi({ en: 5, pt: 5 }, { pt: 1, en: 1 })).toBe(0);
  });

  it('worked by hand', () => {
    // shares a = (0.5, 0.5), b = (0.25, 0.75):
    // (0.25)·ln 2 + (−0.25)·ln(2/3) = 0.1732868 + 0.1013663 = 0.2746531
    expect(psi([2, 2], [1, 3])).toBeCloseTo(0.2746531, 6);
  });

  it('an empty category is raised to 1e-4', () => {
    // a = (1, 0) → (1, 1e-4); b = (0.5, 0.5):
    // (1 − 0.5)·ln(1/0.5) + (1e-4 − 0.5)·ln(1e-4/0.5)
    //   = 0.5·0.6931472 + (−0.4999)·(−8.5171932) = 0.3465736 + 4.2577449 = 4.6043185
    expect(psi([4, 0], [1, 1])).toBeCloseTo(4.6043185, 6);
  });

  it('records align on the union of keys', () => {
    // {vod 2, live 2} vs {vod 1, live 3}: same as the worked case above
    expect(psi({ vod: 2, live: 2 }, { vod: 1, live: 3 })).toBeCloseTo(0.2746531, 6);
    // short missing on one side counts 0 → raised to 1e-4
    expect(psi({ vod: 4 }, { vod: 1, short: 1 })).toBeCloseTo(4.6043185, 6);
  });

  it('empty side → null; mismatched input throws', () => {
    expect(psi([0, 0], [1, 1])).toBeNull();
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => psi([1], { a: 1 })).toThrow(TypeError);
  });
});

describe('binomialTest (exact, two-sided, as R binom.test)', () => {
  it.each([
    [7, 20, 0.5, 0.2632],       // R: binom.test(7, 20)$p.value = 0.2632
    [682, 925, 0.75, 0.3825],   // R ?binom.test example: binom.test(c(682, 243), p = 3/4)
    [3, 4, 0.5, 0.625],         // by hand: P(0)+P(1)+P(3)+P(4) = (1+4+4+1)/16
    [0, 10, 0.5, 0.001953125],  // by hand: 2·0.5^10
    [10, 10, 0.5, 0.001953125],
    [5, 10, 0.5, 1],
  ])('k=%i n=%i p0=%f → %f', (k, n, p0, expected) => {
    expect(binomialTest(k, n, p0)).toBeCloseTo(expected, 4);
  });

  it('large n stays finite (log-space pmf)', () => {
    // 3:1 over 4000 failures is far from 1:1; 2000:2000 is the centre
    expect(binomialTest(3000, 4000)).toBeLessThan(1e-100);
    expect(binomialTest(2000, 4000)).toBeCloseTo(1, 9);
    // pmf by hand: C(4,2)/16 = 0.375
    expect(binomialPmf(2, 4, 0.5)).toBeCloseTo(0.375, 12);
  });

  it('n = 0 → 1; bad input throws', () => {
    expect(binomialTest(0, 0)).toBe(1);
    expect(() => binomialTest(5, 4)).toThrow(RangeError);
    expect(() => binomialTest(1.5, 4)).toThrow(RangeError);
  });
});
