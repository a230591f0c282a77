import { describe, it, expect } from 'vitest';
import { recommend, type RankingInput } from '../../taxonomy/ranking.ts';
import { defaultMapping, type MappingEntry } from '../../taxonomy/mappings.ts';

// A fixed mapping, so these tests check the arithmetic rather than the default weights.
const BASE: Record<string, MappingEntry[]> = {
  'PER.MISS': [{ code: 'TRAIN.ENCODER', weight: 0.5 }, { code: 'DATA.TARGETED', weight: 0.4 }],
  'THR.MARGIN': [{ code: 'INF.THRESHOLD', weight: 0.6 }, { code: 'INF.CALIBRATE', weight: 0.5 }],
  'LBL.AMBIG': [{ code: 'LABEL.RELABEL', weight: 0.9 }],
};
const SEVERITY: Record<string, number> = { 'hate.slur': 3, 'adult.nudity': 1 };

const FAILURES: RankingInput['failures'] = [
  { signature: 'THR.MARGIN', policy: 'adult.nudity', failures: 20 },
  { signature: 'PER.MISS.visual', policy: 'hate.slur', failures: 4 },
  { signature: 'PER.MISS.audio', policy: 'hate.slur', failures: 10 },
  { signature: 'LBL.AMBIG', policy: 'hate.slur', failures: 5 },
];

const input = (mapping: Record<string, MappingEntry[]>, failures = FAILURES): RankingInput => ({
  failures,
  mapping: (family) => mapping[family],
  severity: (policy) => SEVERITY[policy],
});

describe('recommend', () => {
  it('computes recoverable and score by hand', () => {
    const r = recommend(input(BASE));
    // LABEL.RELABEL: 5·0.9·3 = 13.5, cost low 1 → 13.5
    // INF.THRESHOLD: 20·0.6·1 = 12, cost 1 → 12
    // INF.CALIBRATE: 20·0.5·1 = 10, cost 1 → 10
    // TRAIN.ENCODER: 10·0.5·3 + 4·0.5·3 = 15 + 6 = 21, cost high 9 → 2.333333
    // DATA.TARGETED: 10·0.4·3 + 4·0.4·3 = 12 + 4.8 = 16.8, cost 9 → 1.866667
    expect(r.map((x) => x.intervention)).toEqual(['LABEL.RELABEL', 'INF.THRESHOLD', 'INF.CALIBRATE', 'TRAIN.ENCODER', 'DATA.TARGETED']);
    expect(r.map((x) => x.recoverable)).toEqual([13.5, 12, 10, 21, expect.closeTo(16.8, 12)]);
    expect(r.map((x) => x.cost)).toEqual([1, 1, 1, 9, 9]);
    expect(r[3].score).toBeCloseTo(2.333333, 6);
    expect(r[4].score).toBeCloseTo(1.866667, 6);
    expect(r[3]).toMatchObject({ lever: 'architecture' });
    expect(r[0]).toMatchObject({ lever: 'evaluation' });
    // terms: full codes, in (signature, policy) order, the family looked up without its modality
    expect(r[3].terms).toEqual([
      { signature: 'PER.MISS.audio', policy: 'hate.slur', failures: 10, weight: 0.5, severity: 3 },
      { signature: 'PER.MISS.visual', policy: 'hate.slur', failures: 4, weight: 0.5, severity: 3 },
    ]);
  });

  it('empty input → []', () => {
    expect(recommend(input(BASE, []))).toEqual([]);
  });

  it('zero failures and unmapped signatures recover nothing and are left out', () => {
    const r = recommend(input(BASE, [
      { signature: 'THR.MARGIN', policy: 'adult.nudity', failures: 0 },
      { signature: 'GRD.HALLUC', policy: 'hate.slur', failures: 7 }, // not in BASE
    ]));
    expect(r).toEqual([]);
  });

  it('repeated (signature, policy) rows are merged', () => {
    const r = recommend(input({ 'OUT.FORMAT': [{ code: 'ALIGN.FORMAT', weight: 0.5 }] }, [
      { signature: 'OUT.FORMAT', policy: 'hate.slur', failures: 2 },
      { signature: 'OUT.FORMAT', policy: 'hate.slur', failures: 4 },
    ]));
    // (2 + 4)·0.5·3 = 9
    expect(r).toHaveLength(1);
    expect(r[0].terms).toEqual([{ signature: 'OUT.FORMAT', policy: 'hate.slur', failures: 6, weight: 0.5, severity: 3 }]);
    expect(r[0].recoverable).toBe(9);
  });

  it('ties are broken by code, also across cost tiers and float rounding', () => {
    const r = recommend(input({
      // INF.THRESHOLD and INF.CALIBRATE: both 10·0.5·1 = 5 at cost 1
      'THR.MARGIN': [{ code: 'INF.THRESHOLD', weight: 0.5 }, { code: 'INF.CALIBRATE', weight: 0.5 }],
      // DATA.COUNTEREX: 10·0.5·3 = 15 at cost medium 3 → 5, a tie across tiers
      'FUS.SHORTCUT': [{ code: 'DATA.COUNTEREX', weight: 0.5 }],
      // ALIGN.FORMAT: 1·0.3·1 = 0.3; LABEL.GUIDELINE: 3·0.1·1 = 0.30000000000000004 in floats,
      // equal in exact arithmetic: a tie, so ALIGN.FORMAT comes first by code
      'OUT.FORMAT': [{ code: 'ALIGN.FORMAT', weight: 0.3 }],
      'LBL.AMBIG': [{ code: 'LABEL.GUIDELINE', weight: 0.1 }],
    }, [
      { signature: 'THR.MARGIN', policy: 'adult.nudity', failures: 10 },
      { signature: 'FUS.SHORTCUT.text', policy: 'hate.slur', failures: 10 },
      { signature: 'OUT.FORMAT', policy: 'adult.nudity', failures: 1 },
      { signature: 'LBL.AMBIG', policy: 'adult.nudity', failures: 3 },
    ]));
    expect(r.map((x) => [x.intervention, x.score])).toEqual([
      ['DATA.COUNTEREX', 5], ['INF.CALIBRATE', 5], ['INF.THRESHOLD', 5],
      ['ALIGN.FORMAT', 0.3], ['LABEL.GUIDELINE', 0.30000000000000004],
    ]);
  });

  it('an override mapping changes the order', () => {
    // The region overrides THR.MARGIN to INF.THRESHOLD 0.1: 20·0.1·1 = 2 < TRAIN.ENCODER 2.333;
    // INF.CALIBRATE drops out (nothing left to recover through it).
    const r = recommend(input({ ...BASE, 'THR.MARGIN': [{ code: 'INF.THRESHOLD', weight: 0.1 }] }));
    expect(r.map((x) => x.intervention)).toEqual(['LABEL.RELABEL', 'TRAIN.ENCODER', 'INF.THRESHOLD', 'DATA.TARGETED']);
    expect(r[2].recoverable).toBe(2);
  });

  it('works with the default mapping of every family', () => {
    const r = recommend({ failures: FAILURES, mapping: defaultMapping, severity: (p) => SEVERITY[p] });
    expect(r.length).toBeGreaterThan(0);
    for (let i = 1; i < r.length; i++) expect(r[i - 1].score).toBeGreaterThanOrEqual(r[i].score - 1e-12);
  });

  it('unknown intervention codes and policies without severity throw', () => {
    expect(() => recommend(input({ 'THR.MARGIN': [{ code: 'NOPE', weight: 1 }] }))).toThrow(/unknown intervention/);
    expect(() => recommend({ ...input(BASE), severity: () => Number.NaN })).toThrow(/severity/);
  });
});
