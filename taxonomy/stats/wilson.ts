// Wilson score interval for a binomial proportion (SPEC §9: every rate carries one, z = 1.959964).
import { CONFIG } from '../config.ts';

export interface Rate {
  value: number;
  low: number;
  high: number;
}

/**
 * Rate k/n with its Wilson score interval.
 *
 * n = 0 gives `{value: 0, low: 0, high: 1}`: the shape stays numeric for every caller
 * (JSON, charts, Newcombe), and [0, 1] is the honest interval when nothing was observed.
 * Such a cell is `too_few` anyway (n < CONFIG.minCellItems), so the 0 is never ranked.
 */
export function wilson(k: number, n: number, z: number = CONFIG.z95): Rate {
  if (!Number.isFinite(k) || !Number.isFinite(n) || n < 0 || k < 0 || k > n) {
    throw new RangeError(`wilson: need 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (n === 0) return { value: 0, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 or k = n the bound is exactly 0 or 1; say so rather than leave rounding dust.
  const low = k === 0 ? 0 : Math.max(0, centre - half);
  const high = k === n ? 1 : Math.min(1, centre + half);
  return { value: p, low, high };
}
