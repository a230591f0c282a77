// Difference of two independent proportions with Newcombe's hybrid score interval
// (Newcombe 1998, Stat Med 17:873–890, method 10), as SPEC §9 prescribes for after − before.
import { CONFIG } from '../config.ts';
import { wilson, type Rate } from './wilson.ts';

/**
 * after − before, with the interval built from the two Wilson intervals:
 *   low  = d − sqrt((pA − lA)² + (uB − pB)²)
 *   high = d + sqrt((uA − pA)² + (pB − lB)²)
 * A side with n = 0 contributes its uninformative Wilson interval [0, 1].
 */
export function newcombeDiff(
  kAfter: number, nAfter: number,
  kBefore: number, nBefore: number,
  z: number = CONFIG.z95,
): Rate {
  const a = wilson(kAfter, nAfter, z);
  const b = wilson(kBefore, nBefore, z);
  const d = a.value - b.value;
  const low = d - Math.hypot(a.value - a.low, b.high - b.value);
  const high = d + Math.hypot(a.high - a.value, b.value - b.low);
  // The bounds are within [−1, 1] mathematically; clamp rounding dust only.
  return { value: d, low: Math.max(-1, low), high: Math.min(1, high) };
}
