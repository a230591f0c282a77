// Statistics written out independently of the service's, for tests to compute expected values.

// Numerical Recipes' erfcc (fractional error < 1.2e-7 everywhere).
export function erfc(x: number) {
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Two-sided p of the pooled two-proportion z-test. */
export function pz(k1: number, n1: number, k2: number, n2: number) {
  const p = (k1 + k2) / (n1 + n2);
  const z = (k1 / n1 - k2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return erfc(Math.abs(z) / Math.SQRT2);
}
