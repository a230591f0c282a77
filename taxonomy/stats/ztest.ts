// Pooled two-proportion z-test, two-sided (SPEC §9: the p of a difference of rates).
import jStat from 'jstat';

export interface ZTest {
  z: number;
  p: number;
}

/**
 * z = (p1 − p2) / sqrt(p̂(1 − p̂)(1/n1 + 1/n2)) with p̂ = (k1 + k2)/(n1 + n2); p = 2·Φ(−|z|).
 * When the pooled rate is 0 or 1 (or a side is empty) there is no variance and no
 * evidence of a difference: z = 0, p = 1.
 * jStat's Φ is 0.5·(1 + erf), so p below ~1e-15 loses precision (and is 0 past |z| ≈ 8.3);
 * every decision threshold we use (0.05, 0.01) is far above that.
 */
export function twoProportionZ(k1: number, n1: number, k2: number, n2: number): ZTest {
  for (const [k, n] of [[k1, n1], [k2, n2]]) {
    if (!Number.isFinite(k) || !Number.isFinite(n) || n < 0 || k < 0 || k > n) {
      throw new RangeError(`twoProportionZ: need 0 <= k <= n, got k=${k}, n=${n}`);
    }
  }
  if (n1 === 0 || n2 === 0) return { z: 0, p: 1 };
  const pooled = (k1 + k2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { z: 0, p: 1 };
  const z = (k1 / n1 - k2 / n2) / Math.sqrt(variance);
  const p = Math.min(1, 2 * jStat.normal.cdf(-Math.abs(z), 0, 1));
  return { z, p };
}

/**
 * One-sided pooled two-proportion z-test, H1: rate 1 > rate 2 (SPEC §11: a slice against the
 * rest). Same z as `twoProportionZ`; p = 1 − Φ(z), computed as Φ(−z) so small p keep their
 * precision. No variance (a side empty, pooled rate 0 or 1): z = 0, p = 1 — no evidence.
 */
export function oneSidedGreaterZ(k1: number, n1: number, k2: number, n2: number): ZTest {
  const t = twoProportionZ(k1, n1, k2, n2);
  if (t.p === 1 && t.z === 0 && noVariance(k1, n1, k2, n2)) return t;
  return { z: t.z, p: Math.min(1, jStat.normal.cdf(-t.z, 0, 1)) };
}

const noVariance = (k1: number, n1: number, k2: number, n2: number) =>
  n1 === 0 || n2 === 0 || k1 + k2 === 0 || k1 + k2 === n1 + n2;
