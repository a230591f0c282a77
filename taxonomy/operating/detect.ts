// Time to detect for live streams (SPEC §12): nearest-rank percentiles of flag − onset over
// live true positives, from a histogram of delays (value → count) so it can be an aggregate.
import { OPERATING } from './config.ts';

export interface TimeToDetect { n: number; p50: number; p90: number; p99: number; within_30s: number }

/** The ⌈p·n⌉-th smallest delay. */
function nearestRank(sorted: Array<[number, number]>, n: number, p: number): number {
  const rank = Math.max(1, Math.ceil(p * n - 1e-9));
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
