// The slice-level registry: the rule text and the code list come from CONFIG.slice, the D1
// catalogue was seeded from it, and each rule fires exactly past its thresholds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG } from '../../taxonomy/config.ts';
import {
  SLICE_SIGNATURES, SLICE_SIGNATURE_CODES, calibrationMisfit, disparity, disparityTested, distShift, isSliceSignatureCode,
} from '../../taxonomy/slice-signatures.ts';
import { isMappedSignature, SIGNATURE_INTERVENTIONS } from '../../taxonomy/mappings.ts';

const R = CONFIG.slice;

describe('slice-level signature registry', () => {
  it('codes in registry order, each with a mapping; frozen', () => {
    expect(SLICE_SIGNATURES.map((s) => s.code)).toEqual([...SLICE_SIGNATURE_CODES]);
    for (const code of SLICE_SIGNATURE_CODES) {
      expect(isSliceSignatureCode(code) && isMappedSignature(code)).toBe(true);
      expect(SIGNATURE_INTERVENTIONS[code].length).toBeGreaterThan(0);
    }
    expect(isSliceSignatureCode('PER.MISS')).toBe(false);
    expect(Object.isFrozen(SLICE_SIGNATURES) && SLICE_SIGNATURES.every(Object.isFrozen)).toBe(true);
  });

  it('each rule text states the thresholds of the config', () => {
    const rule = Object.fromEntries(SLICE_SIGNATURES.map((s) => [s.code, s.rule]));
    expect(rule['CAL.MISFIT']).toContain(`> ${R.eceLimit} with ≥${R.eceMinItems} items`);
    expect(rule['CAL.MISFIT']).toContain(`beyond ${R.fpFnRatio}:1`);
    expect(rule['CAL.MISFIT']).toContain(`p < ${R.fpFnP}`);
    expect(rule['REG.DISPARITY']).toContain(`q < ${CONFIG.qLevel}`);
    expect(rule['REG.DISPARITY']).toContain(`≥${R.disparityMinItems} items`);
    expect(rule['DIST.SHIFT']).toContain(`PSI > ${R.psiLimit}`);
  });

  it('the seeded D1 catalogue holds the registry text (a changed threshold needs a migration)', () => {
    const seed = readFileSync(new URL('../../db/migrations/0001_seed.sql', import.meta.url), 'utf8');
    for (const s of SLICE_SIGNATURES) expect(seed, s.code).toContain(s.rule.replaceAll("'", "''"));
  });
});

describe('slice-level rules at their thresholds', () => {
  const cal = { ece: null, n: 0, fp: 0, fn: 0, fpFnP: 1 };
  it('CAL.MISFIT: ECE above the limit with enough items', () => {
    expect(calibrationMisfit({ ...cal, ece: R.eceLimit + 1e-9, n: R.eceMinItems })).toBe(true);
    expect(calibrationMisfit({ ...cal, ece: R.eceLimit, n: R.eceMinItems })).toBe(false);
    expect(calibrationMisfit({ ...cal, ece: 0.5, n: R.eceMinItems - 1 })).toBe(false);
  });
  it('CAL.MISFIT: FP:FN beyond the ratio, either way, only when significant', () => {
    expect(calibrationMisfit({ ...cal, fp: R.fpFnRatio * 10 + 1, fn: 10, fpFnP: R.fpFnP / 2 })).toBe(true);
    expect(calibrationMisfit({ ...cal, fp: 10, fn: R.fpFnRatio * 10 + 1, fpFnP: R.fpFnP / 2 })).toBe(true);
    expect(calibrationMisfit({ ...cal, fp: R.fpFnRatio * 10, fn: 10, fpFnP: R.fpFnP / 2 })).toBe(false);
    expect(calibrationMisfit({ ...cal, fp: 100, fn: 1, fpFnP: R.fpFnP })).toBe(false);
  });
  it('REG.DISPARITY: cells tested from the minimum size; fires on q below the level and a positive z', () => {
    expect([disparityTested(R.disparityMinItems - 1), disparityTested(R.disparityMinItems)]).toEqual([false, true]);
    expect(disparity({ q: CONFIG.qLevel - 1e-9, z: 2 })).toBe(true);
    expect(disparity({ q: CONFIG.qLevel, z: 2 })).toBe(false);
    expect(disparity({ q: 0.001, z: -2 })).toBe(false);
  });
  it('DIST.SHIFT: any PSI above the limit; missing PSIs never fire', () => {
    expect(distShift([null, R.psiLimit + 1e-9, 0])).toBe(true);
    expect(distShift([R.psiLimit, null, null])).toBe(false);
  });
});
