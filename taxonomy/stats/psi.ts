// Population stability index between two distributions (SPEC §9, DIST.SHIFT):
// Σ (a_i − b_i)·ln(a_i / b_i) over shares, for the 10 score bins or a categorical mix.

/**
 * Shares below `eps` are raised to `eps` (1e-4 by default, as SPEC §9 fixes) so an empty
 * category contributes a large but finite term instead of ln 0; shares are not renormalised
 * afterwards. Counts are aligned by position (arrays, same length) or by key (records, the
 * union of keys, a missing key counting 0). Identical shares give exactly 0.
 * Returns null when either side has no counts: there is no distribution to compare.
 */
export function psi(
  countsA: readonly number[] | Readonly<Record<string, number>>,
  countsB: readonly number[] | Readonly<Record<string, number>>,
  eps = 1e-4,
): number | null {
  const [a, b] = align(countsA, countsB);
  for (const c of [...a, ...b]) {
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`psi: counts must be finite and >= 0, got ${c}`);
  }
  const totalA = a.reduce((s, c) => s + c, 0);
  const totalB = b.reduce((s, c) => s + c, 0);
  if (totalA === 0 || totalB === 0) return null;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const sa = Math.max(eps, a[i] / totalA);
    const sb = Math.max(eps, b[i] / totalB);
    sum += (sa - sb) * Math.log(sa / sb);
  }
  return sum;
}

function align(
  x: readonly number[] | Readonly<Record<string, number>>,
  y: readonly number[] | Readonly<Record<string, number>>,
): [number[], number[]] {
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) throw new RangeError(`psi: arrays differ in length (${x.length} vs ${y.length})`);
    return [[...x], [...y]];
  }
  if (Array.isArray(x) || Array.isArray(y)) throw new TypeError('psi: give two arrays or two records');
  const rx = x as Readonly<Record<string, number>>;
  const ry = y as Readonly<Record<string, number>>;
  // Sorted keys: the floating sum does not depend on insertion order.
  const keys = [...new Set([...Object.keys(rx), ...Object.keys(ry)])].sort();
  return [keys.map((k) => rx[k] ?? 0), keys.map((k) => ry[k] ?? 0)];
}
