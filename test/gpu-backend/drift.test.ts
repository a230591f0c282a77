// FP16 drift report: the comparison as a pure function on crafted scores, then the script on
// the demo's features with real onnxruntime (cpu vs cpu: no drift; tensorrt: not loadable here).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareScores, driftMarkdown } from '../../gpu-backend/drift-compare.ts';
import { demoItems } from '../../gpu-backend/drift.ts';

const run = promisify(execFile);
const policies = [{ code: 'a', threshold: 0.5 }, { code: 'b', threshold: 0.35 }];

describe('compareScores', () => {
  it('max absolute difference, and decisions score >= threshold compared per policy', () => {
    const ref = [[0.49, 0.9], [0.51, 0.34], [0.2, 0.36]];
    const cand = [[0.5, 0.9], [0.5, 0.351], [0.2, 0.349]];
    const d = compareScores(ref, cand, policies);
    expect(d.policies[0]).toMatchObject({ policy: 'a', rows: 3, agree: 2, newPositives: 1, lostPositives: 0 }); // 0.49 → 0.5 crosses; 0.51 → 0.5 does not (>=)
    expect(d.policies[1]).toMatchObject({ policy: 'b', rows: 3, agree: 1, newPositives: 1, lostPositives: 1 });
    expect(d.policies[0].maxAbsDiff).toBeCloseTo(0.01, 12);
    expect(d.policies[1].maxAbsDiff).toBeCloseTo(0.011, 12);
    expect(d.maxAbsDiff).toBeCloseTo(0.011, 12);
    expect(d.agreement).toBeCloseTo(3 / 6, 12);
    expect(driftMarkdown(d, 'x')).toContain('| b | 0.35 | 1.10e-2 | 1/3 (33.33 %) | 1 | 1 |');
  });

  it('NaN is infinite drift, and row counts must match', () => {
    expect(compareScores([[0.1, 0.2]], [[Number.NaN, 0.2]], policies).maxAbsDiff).toBe(Infinity);
    expect(() => compareScores([[0.1, 0.2]], [], policies)).toThrow(/1 rows, candidate 0/);
  });
});

describe('gpu-backend/drift.ts on the demo features', () => {
  const script = ['--experimental-strip-types', '--no-warnings', 'gpu-backend/drift.ts'];

  it('the demo world has feature items; cpu against the FP32 reference drifts by exactly 0', async () => {
    const items = demoItems(42, 2, 300);
    expect(items.length).toBeGreaterThan(0);
    const { stdout } = await run(process.execPath, [...script, '--providers', 'cpu', '--regions', '2', '--items', '300', '--json']);
    const r = JSON.parse(stdout);
    expect(r.rows).toBe(items.length * 8);
    expect(r.maxAbsDiff).toBe(0);
    expect(r.agreement).toBe(1);
    expect(r.policies).toHaveLength(8);
  }, 30_000);

  it('exits 1 over the limits, and 2 naming the provider when tensorrt does not load', async () => {
    await expect(run(process.execPath, [...script, '--providers', 'cpu', '--regions', '2', '--items', '300', '--max-diff=-1'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/drift over the limits/) });
    await expect(run(process.execPath, [...script, '--providers', 'tensorrt', '--regions', '2', '--items', '300'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^tensorrt did not load \(.*TensorRT/) });
  }, 30_000);
});
