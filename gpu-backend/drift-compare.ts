// FP16 accuracy drift, as a pure comparison: the scores of the ONNX model (FP32, the
// reference) against those of a TensorRT engine on the same rows, per policy column — the
// largest absolute difference and how often the decision `score >= threshold` (SPEC §3)
// agrees at that policy's threshold.

export interface PolicyDrift {
  policy: string;
  threshold: number;
  maxAbsDiff: number;
  /** Rows whose decision at `threshold` is the same on both. */
  agree: number;
  rows: number;
  /** Decisions that flipped: positive on the reference and negative on the candidate, and the reverse. */
  lostPositives: number;
  newPositives: number;
}

export interface Drift {
  maxAbsDiff: number;
  /** Agreeing decisions over all rows × policies. */
  agreement: number;
  policies: PolicyDrift[];
}

export function compareScores(reference: readonly (readonly number[])[], candidate: readonly (readonly number[])[], policies: readonly { code: string; threshold: number }[]): Drift {
  if (reference.length !== candidate.length) throw new Error(`reference has ${reference.length} rows, candidate ${candidate.length}`);
  const out = policies.map((p, j): PolicyDrift => {
    const d: PolicyDrift = { policy: p.code, threshold: p.threshold, maxAbsDiff: 0, agree: 0, rows: reference.length, lostPositives: 0, newPositives: 0 };
    reference.forEach((row, i) => {
      const [a, b] = [row[j], candidate[i][j]];
      if (typeof a !== 'number' || typeof b !== 'number') throw new Error(`row ${i}: no score for column ${j} (${p.code})`);
      // NaN must not hide as "no difference".
      d.maxAbsDiff = Math.max(d.maxAbsDiff, Number.isNaN(a - b) ? Infinity : Math.abs(a - b));
      const [ra, rb] = [a >= p.threshold, b >= p.threshold];
      if (ra === rb) d.agree++;
      else if (ra) d.lostPositives++;
      else d.newPositives++;
    });
    return d;
  });
  const total = out.reduce((s, d) => s + d.rows, 0);
  return {
    maxAbsDiff: Math.max(0, ...out.map((d) => d.maxAbsDiff)),
    agreement: total ? out.reduce((s, d) => s + d.agree, 0) / total : 1,
    policies: out,
  };
}

/** The report as a Markdown table. */
export function driftMarkdown(d: Drift, what: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const lines = [
    `${what}: max |Δ score| **${d.maxAbsDiff.toExponential(2)}**, decisions agree **${pct(d.agreement)}**`,
    '',
    '| policy | threshold | max abs diff | decisions agree | lost positives | new positives |',
    '|---|---:|---:|---:|---:|---:|',
    ...d.policies.map((p) => `| ${p.policy} | ${p.threshold} | ${p.maxAbsDiff.toExponential(2)} | ${p.agree}/${p.rows} (${pct(p.rows ? p.agree / p.rows : 1)}) | ${p.lostPositives} | ${p.newPositives} |`),
  ];
  return lines.join('\n');
}
