// Expected calibration error and its reliability table (SPEC §9: 10 equal-width bins of the
// score, [i/10, (i+1)/10), the last bin closed). Works on per-bin aggregates so callers can
// keep running sums in the database instead of every score.

export const BIN_COUNT = 10;

/** Running sums of one score bin. */
export interface BinAggregate {
  n: number;
  sumScore: number;
  /** Items labelled violating. */
  positives: number;
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  n: number;
  /** null for an empty bin: there is no mean to show. */
  meanScore: number | null;
  shareViolating: number | null;
  /** meanScore − shareViolating (positive: over-confident). */
  gap: number | null;
}

export interface EceResult {
  /** Σ (n_b/N)·|mean score_b − share violating_b|; null when there are no items. */
  ece: number | null;
  n: number;
  bins: ReliabilityBin[];
}

/** Bin of a score in [0, 1]: floor(10·s), with s = 1 in the last bin. */
export function binIndex(score: number): number {
  if (!(score >= 0 && score <= 1)) throw new RangeError(`binIndex: score must be in [0,1], got ${score}`);
  // 10·s on the decimal boundaries (0.3, 0.7 …) lands on or just above the integer, so
  // floor puts boundary scores in the upper bin as the half-open bins intend.
  return Math.min(BIN_COUNT - 1, Math.floor(score * BIN_COUNT));
}

export function emptyBins(): BinAggregate[] {
  return Array.from({ length: BIN_COUNT }, () => ({ n: 0, sumScore: 0, positives: 0 }));
}

/** Aggregates (score, violating) pairs into the 10 bins. */
export function binScores(items: Iterable<{ score: number; violating: boolean }>): BinAggregate[] {
  const bins = emptyBins();
  for (const { score, violating } of items) {
    const b = bins[binIndex(score)];
    b.n += 1;
    b.sumScore += score;
    if (violating) b.positives += 1;
  }
  return bins;
}

export function ece(bins: readonly BinAggregate[]): EceResult {
  if (bins.length !== BIN_COUNT) throw new RangeError(`ece: expected ${BIN_COUNT} bins, got ${bins.length}`);
  const total = bins.reduce((s, b) => s + b.n, 0);
  let sum = 0;
  const table = bins.map((b, i): ReliabilityBin => {
    const lo = i / BIN_COUNT;
    const hi = (i + 1) / BIN_COUNT;
    if (b.n === 0) return { lo, hi, n: 0, meanScore: null, shareViolating: null, gap: null };
    const meanScore = b.sumScore / b.n;
    const shareViolating = b.positives / b.n;
    const gap = meanScore - shareViolating;
    sum += (b.n / total) * Math.abs(gap);
    return { lo, hi, n: b.n, meanScore, shareViolating, gap };
  });
  return { ece: total === 0 ? null : sum, n: total, bins: table };
}
