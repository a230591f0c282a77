// Slice-level failure signatures (SPEC §4, second table): the registry, like the item-level
// one (signatures/registry.ts) — frozen, in order. The thresholds are CONFIG.slice; the rule
// text shown in the catalogue and the code list (the API's enum) are derived from them, and
// the predicates below are the rules the scorecard applies (functions/services/slice-signatures.ts
// computes the statistics from the counters).
import { CONFIG } from './config.ts';

const R = CONFIG.slice;

interface SliceSignatureText { description: string; rule: string }

const DEFS = {
  'CAL.MISFIT': {
    description: 'thresholds/calibration wrong for the region',
    rule: `ECE (10 bins) > ${R.eceLimit} with ≥${R.eceMinItems} items, or FP:FN ratio beyond ${R.fpFnRatio}:1 either way, binomial p < ${R.fpFnP}`,
  },
  'REG.DISPARITY': {
    description: 'the region is worse off',
    rule: `failure rate above the policy's global rate, two-proportion z-test, Benjamini–Hochberg q < ${CONFIG.qLevel} over all region×policy cells, ≥${R.disparityMinItems} items`,
  },
  'VER.REGRESSION': {
    description: 'something broke between versions',
    rule: `a signature's rate rose vs the previous version of the same model id, BH q < ${CONFIG.qLevel}`,
  },
  'DIST.SHIFT': {
    description: 'the traffic changed',
    rule: `PSI > ${R.psiLimit} of the score distribution, language mix or surface mix vs the region's previous slice for that policy`,
  },
} as const satisfies Record<string, SliceSignatureText>;

export type SliceSignatureCode = keyof typeof DEFS;

/** The codes in registry order (a tuple, so that it can be a zod enum). */
export const SLICE_SIGNATURE_CODES = Object.freeze(Object.keys(DEFS)) as readonly [SliceSignatureCode, ...SliceSignatureCode[]];

export interface SliceSignatureMeta extends SliceSignatureText { code: SliceSignatureCode; level: 'slice' }

/** SPEC §4 slice-level signatures, computed per region × policy × model version on aggregates. */
export const SLICE_SIGNATURES: readonly SliceSignatureMeta[] = Object.freeze(
  SLICE_SIGNATURE_CODES.map((code) => Object.freeze({ code, level: 'slice' as const, ...DEFS[code] })),
);

const CODES = new Set<string>(SLICE_SIGNATURE_CODES);
export const isSliceSignatureCode = (code: string): code is SliceSignatureCode => CODES.has(code);

// The rules. Inputs are the statistics the scorecard computes per region × policy.

/** CAL.MISFIT: ECE over enough items, or an FP:FN split lopsided beyond the ratio and significant. */
export function calibrationMisfit(s: { ece: number | null; n: number; fp: number; fn: number; fpFnP: number }): boolean {
  const eceFires = s.n >= R.eceMinItems && s.ece !== null && s.ece > R.eceLimit;
  const lopsided = s.fp > R.fpFnRatio * s.fn || s.fn > R.fpFnRatio * s.fp;
  return eceFires || (s.fp + s.fn > 0 && lopsided && s.fpFnP < R.fpFnP);
}

/** REG.DISPARITY: a cell takes part in the test (and its BH family) with this many items. */
export const disparityTested = (n: number) => n >= R.disparityMinItems;

/** REG.DISPARITY: the region's rate is significantly above the rest of the world's. */
export const disparity = (s: { q: number; z: number }) => s.q < CONFIG.qLevel && s.z > 0;

/** DIST.SHIFT: any of the PSIs (score bins, language mix, surface mix) beyond the limit. */
export const distShift = (psis: readonly (number | null)[]) => psis.some((v) => v !== null && v > R.psiLimit);
