// Operating-point constants (cfg in SPEC §12).
export const OPERATING = Object.freeze({
  /** A threshold is recommended only for cells with at least this many items. */
  minThresholdItems: 200,
  /** Candidate thresholds k / gridSteps, k = 1 … gridSteps − 1. */
  gridSteps: 100,
  /** Cost of one false positive; a false negative costs the policy's severity. */
  fpCost: 1,
  /** Live detection within this many milliseconds counts as timely (TMP.LATE's bound). */
  timelyMs: 30_000,
});
