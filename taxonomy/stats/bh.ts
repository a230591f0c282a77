// Benjamini–Hochberg (1995) adjusted p-values ("q-values" in SPEC §9), in input order.

/**
 * q_(i) = min over j ≥ i of p_(j)·m/j on the ascending order, capped at 1 — the same
 * numbers as R's p.adjust(p, "BH"). Ties get equal q. Non-finite or out-of-range p is a
 * caller bug and throws rather than silently changing m.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`benjaminiHochberg: p must be in [0,1], got ${p}`);
  }
  // Ascending by p; the original index breaks ties so the result never depends on sort stability.
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b] || a - b);
  const q = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    running = Math.min(running, (pValues[i] * m) / (r + 1));
    q[i] = running;
  }
  return q;
}
