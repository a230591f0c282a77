// Time to detect for live streams (SPEC §12): nearest-rank percentiles of flag − onset over
// live true positives, from a histogram of delays (value → count) so it can be an aggregate.
import { OPERATING } from './config.ts';

export interface TimeToDetect { n: number; p50: number; p90: number; p99: number; within_30s: number }

/** The ⌈p·n⌉-th smallest delay (or the `rank`-th when given). */
function nearestRank(sorted: Array<[number, number]>, n: number, p: number, rank = Math.max(1, Math.ceil(p * n - 1e-9))): number {
  let seen = 0;
  for (const [v, c] of sorted) { seen += c; if (seen >= rank) return v; }
  return sorted[sorted.length - 1][0];
}

/** Null when there is no delay (policies with n = 0 are left out). */
export function timeToDetect(delays: Iterable<[ms: number, count: number]>): TimeToDetect | null {
  const sorted = [...delays].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((a, [, c]) => a + c, 0);
  if (n === 0) return null;
  const timely = sorted.reduce((a, [v, c]) => a + (v <= OPERATING.timelyMs ? c : 0), 0);
  return { n, p50: nearestRank(sorted, n, 0.5), p90: nearestRank(sorted, n, 0.9), p99: nearestRank(sorted, n, 0.99), within_30s: timely / n };
}

// ── Bucketed: the delays kept as 1-second buckets (value counts per bucket) ───────────────
// A live TP's delay is a millisecond value, nearly one distinct value per item: kept as one
// counter each, a 100k-item slice wrote ~8,000 rows. Kept as a count per second plus the exact
// values inside each second (store/histograms.ts), a reader needs every bucket's count but the
// values of at most four buckets — the ones holding the three ranks and the timely bound — and
// the answer stays exact.

/** Delays are bucketed by whole seconds (floor, so negative delays too). */
export const DELAY_BUCKET_MS = 1000;
export const delayBucket = (ms: number) => Math.floor(ms / DELAY_BUCKET_MS);

const RANKS = [0.5, 0.9, 0.99] as const;
const rankOf = (p: number, n: number) => Math.max(1, Math.ceil(p * n - 1e-9));

/** [bucket, count] pairs with a count, sorted. */
const sortedBuckets = (coarse: Iterable<[number, number]>) => [...coarse].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);

/** The bucket holding the rank-th smallest delay, and the delays before it. */
function bucketAt(sorted: Array<[number, number]>, rank: number): { bucket: number; before: number } {
  let seen = 0;
  for (const [b, c] of sorted) {
    if (seen + c >= rank) return { bucket: b, before: seen };
    seen += c;
  }
  const [b, c] = sorted[sorted.length - 1];
  return { bucket: b, before: seen - c };
}

/** The buckets whose values timeToDetectBucketed needs (sorted, distinct). */
export function delayBucketsNeeded(coarse: Iterable<[bucket: number, count: number]>): number[] {
  const sorted = sortedBuckets(coarse);
  const n = sorted.reduce((a, [, c]) => a + c, 0);
  if (n === 0) return [];
  const need = new Set(RANKS.map((p) => bucketAt(sorted, rankOf(p, n)).bucket));
  const edge = delayBucket(OPERATING.timelyMs);
  if (sorted.some(([b]) => b === edge)) need.add(edge);
  return [...need].sort((a, b) => a - b);
}

/**
 * timeToDetect from the bucket counts and the values of the buckets delayBucketsNeeded names
 * (`fine`: bucket → [ms, count] pairs): the same answer as timeToDetect over every value.
 */
export function timeToDetectBucketed(
  coarse: Iterable<[bucket: number, count: number]>, fine: ReadonlyMap<number, Iterable<[ms: number, count: number]>>,
): TimeToDetect | null {
  const sorted = sortedBuckets(coarse);
  const n = sorted.reduce((a, [, c]) => a + c, 0);
  if (n === 0) return null;
  const valuesOf = (b: number) => {
    const v = fine.get(b);
    if (!v) throw new Error(`time to detect: the values of bucket ${b} were not read`);
    return [...v].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]);
  };
  const at = (p: number) => {
    const rank = rankOf(p, n);
    const { bucket, before } = bucketAt(sorted, rank);
    const values = valuesOf(bucket);
    return nearestRank(values, values.reduce((a, [, c]) => a + c, 0), 0, rank - before);
  };
  const edge = delayBucket(OPERATING.timelyMs);
  let timely = 0;
  for (const [b, c] of sorted) {
    if (b < edge) timely += c;
    else if (b === edge) for (const [v, k] of valuesOf(b)) if (v <= OPERATING.timelyMs) timely += k;
  }
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: timely / n };
}
