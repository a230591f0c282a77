// Constants marked (cfg) in SPEC: they belong to a taxonomy version, not to code paths.
export const TAXONOMY_VERSION = '1.0.0';

export const CONFIG = {
  /** THR.MARGIN: |s - T| <= margin. */
  thresholdMargin: 0.10,
  /** TMP.LATE: flag_ms - onset_ms > lateMs. */
  lateMs: 30_000,
  /** LANG.ASR: asr_confidence < asrConfidence. */
  asrConfidence: 0.5,
  /** LBL.AMBIG: at least this many votes … */
  ambigMinVotes: 3,
  /** … and a majority share below this … */
  ambigMajorityShare: 0.70,
  /** … or, after consensus, a posterior of the item's label below this. */
  ambigPosterior: 0.80,
  /** Cost tiers of interventions as numbers. */
  costTiers: { low: 1, medium: 3, high: 9 } as const,
  /** Cells with fewer items than this are `too_few`: shown, never ranked or tested. */
  minCellItems: 30,
  /** z for Wilson 95 % intervals. */
  z95: 1.959964,
  /** Benjamini–Hochberg level: a tested cell (compare, attribution, slice signatures) moved when q < qLevel. */
  qLevel: 0.05,
  /** Slice-level signatures (slice-signatures.ts). */
  slice: {
    /** CAL.MISFIT: ECE over 10 bins above eceLimit with at least eceMinItems items … */
    eceLimit: 0.05, eceMinItems: 200,
    /** … or FP:FN beyond fpFnRatio:1 either way with exact binomial p < fpFnP. */
    fpFnRatio: 3, fpFnP: 0.01,
    /** REG.DISPARITY: region × policy cells with at least this many items are tested. */
    disparityMinItems: 100,
    /** DIST.SHIFT: PSI above this. */
    psiLimit: 0.2,
  },
} as const;

export type CostTier = keyof typeof CONFIG.costTiers;
