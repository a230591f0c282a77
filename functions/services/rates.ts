// Rates as the API shows them: Wilson 95 % interval, and `too_few` below 30 items (SPEC §9).
import { wilson } from '../../taxonomy/stats/wilson.ts';
import { CONFIG } from '../../taxonomy/config.ts';

export interface RateOut { value: number | null; low: number | null; high: number | null; n: number; too_few: boolean }

export function rateOf(k: number, n: number): RateOut {
  if (n <= 0) return { value: null, low: null, high: null, n: 0, too_few: true };
  const r = wilson(k, n);
  return { value: r.value, low: r.low, high: r.high, n, too_few: n < CONFIG.minCellItems };
}
