// Discovery's constants (cfg in SPEC §11): they belong to a taxonomy version, not to code paths.
export const DISCOVERY = Object.freeze({
  /** A candidate slice needs at least this many items. */
  minSliceItems: 50,
  /** Reported when BH q is below this … */
  qLevel: 0.05,
  /** … and the slice's rate is at least this many times the rest's. */
  minLift: 1.5,
  /** A child must beat each reported parent's other items at this one-sided p. */
  nestingP: 0.05,
  /** A parent folds under a child holding this share of its excess errors. */
  foldShare: 0.8,
  /** Attribute keys and distinct values per key a population may use. */
  maxAttrKeys: 32,
  maxAttrValues: 64,
});
