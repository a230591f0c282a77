// Exact two-sided binomial test (CAL.MISFIT: is the FP:FN split lopsided beyond chance?).
import jStat from 'jstat';

/** Binomial probability mass, in log space so n in the thousands neither overflows nor underflows. */
export function binomialPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(jStat.combinationln(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Two-sided p-value of k successes in n trials under success probability p0: the sum of
 * the probabilities of every outcome no more likely than the observed one — R's binom.test.
 * Like R, "no more likely" allows a relative slack of 1e-7 so that outcomes equally likely
 * in exact arithmetic are not split by rounding (p0 = 0.5 makes k and n − k tie exactly).
 */
export function binomialTest(k: number, n: number, p0 = 0.5): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0 || k < 0 || k > n) {
    throw new RangeError(`binomialTest: need integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (!(p0 >= 0 && p0 <= 1)) throw new RangeError(`binomialTest: p0 must be in [0,1], got ${p0}`);
  if (n === 0) return 1;
  const observed = binomialPmf(k, n, p0);
  const limit = observed * (1 + 1e-7);
  let p = 0;
  for (let i = 0; i <= n; i++) {
    const d = binomialPmf(i, n, p0);
    if (d <= limit) p += d;
  }
  return Math.min(1, p);
}
