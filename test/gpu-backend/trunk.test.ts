// The compute-bound variant (model/trunk.ts): deterministic bytes, the ONNX graph equals the
// literal trunk forward pass and the committed model's semantics, masks still remove a
// modality, featuresFor still sets the probe scores; the generator's CLI and the server on it.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { configPath, modelPath, renderRepository, staleFiles } from '../../gpu-backend/model/generate.ts';
import { expectedScores, featuresFor, PROBE_ROWS, referenceForward, type ModelInputs } from '../../gpu-backend/model/spec.ts';
import { BENCH_TRUNK, buildTrunk, checkTrunkSpec, trunkForward, type TrunkSpec } from '../../gpu-backend/model/trunk.ts';
import { startServer } from '../../gpu-backend/server/server.ts';
import { maxAbsDiff, oipRequest, randomBatch, rowsOf } from './helpers.ts';

const P = POLICY_CODES.length;
/** Small enough for a fast literal forward pass, large enough to be a real trunk. */
const SMALL: TrunkSpec = { hidden: 256, layers: 3 };

let session: ort.InferenceSession;
let smallModel: Uint8Array;

async function run(s: ort.InferenceSession, inputs: ModelInputs): Promise<number[][]> {
  const n = inputs.audio.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, rows] of Object.entries(inputs) as [string, number[][]][]) {
    feeds[name] = new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, rows[0].length]);
  }
  const out = (await s.run(feeds)).scores;
  expect(out.dims).toEqual([n, P]);
  return rowsOf(Array.from(out.data as Float32Array), P);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  smallModel = renderRepository(undefined, SMALL).model;
  session = await ort.InferenceSession.create(smallModel, { executionProviders: ['cpu'] });
});
afterAll(async () => {
  await session?.release();
});

describe('compute-bound variant: the model file', () => {
  it('is deterministic: the same spec gives the same bytes, and the committed model is untouched', () => {
    expect(sha(renderRepository(undefined, SMALL).model)).toBe(sha(smallModel));
    expect(sha(renderRepository(undefined, { hidden: 256, layers: 2 }).model)).not.toBe(sha(smallModel));
    // No trunk = the committed model, byte for byte (the variant never leaks into it).
    expect(Buffer.from(renderRepository().model).equals(readFileSync(modelPath()))).toBe(true);
    expect(staleFiles()).toEqual([]);
  });

  it('the bench size (BENCH_TRUNK) is deterministic too, and its weights exceed a 32 MiB last-level cache', () => {
    const a = renderRepository(undefined, BENCH_TRUNK).model;
    const b = renderRepository(undefined, BENCH_TRUNK).model;
    expect(sha(a)).toBe(sha(b));
    expect(a.byteLength).toBeGreaterThan(40 * 2 ** 20);
  });

  it('has the committed interface and dense H×H layers', async () => {
    expect(session.inputNames).toEqual(['audio', 'visual', 'text', 'modality_mask', 'policy_context']);
    expect(session.outputNames).toEqual(['scores']);
    const t = buildTrunk(SMALL);
    for (const m of ['audio', 'visual', 'text'] as const) {
      expect(t.dense[m]).toHaveLength(SMALL.layers);
      for (const M of t.dense[m]) {
        expect(M).toHaveLength(SMALL.hidden * SMALL.hidden);
        expect(M.every((v) => v !== 0)).toBe(true); // fully dense, nothing for a runtime to skip
      }
    }
  });

  it('rejects a hidden width that is not 2 × a power of two, or too narrow for the text features', () => {
    expect(() => checkTrunkSpec({ hidden: 1000, layers: 2 })).toThrow(RangeError);
    expect(() => checkTrunkSpec({ hidden: 32, layers: 2 })).toThrow(RangeError);
    expect(() => checkTrunkSpec({ hidden: 1024, layers: -1 })).toThrow(RangeError);
    expect(() => checkTrunkSpec({ hidden: 64, layers: 0 })).not.toThrow();
  });
});

describe('compute-bound variant: what it computes', () => {
  it('its ONNX run equals the literal trunk forward pass, and the committed model, on random rows', async () => {
    const inputs = randomBatch(6, 21);
    const onnx = await run(session, inputs);
    expect(maxAbsDiff(onnx, trunkForward(inputs, buildTrunk(SMALL)))).toBeLessThan(1e-5);
    expect(maxAbsDiff(onnx, referenceForward(inputs))).toBeLessThan(1e-4);
    // …and so does the bench-size model (ONNX only: its literal forward pass is slow in JS).
    const big = await ort.InferenceSession.create(renderRepository(undefined, BENCH_TRUNK).model, { executionProviders: ['cpu'] });
    try {
      expect(maxAbsDiff(await run(big, inputs), referenceForward(inputs))).toBeLessThan(1e-4);
    } finally {
      await big.release();
    }
  });

  it('a masked modality contributes nothing: changing its features does not change any score', async () => {
    const base = randomBatch(8, 31);
    base.modality_mask = base.modality_mask.map(() => [1, 1, 1]);
    for (const [k, m] of (['audio', 'visual', 'text'] as const).entries()) {
      const masked = { ...base, modality_mask: base.modality_mask.map((r) => r.map((v, j) => (j === k ? 0 : v))) };
      const other = { ...masked, [m]: randomBatch(8, 40 + k)[m] };
      const [a, b, full] = [await run(session, masked), await run(session, other), await run(session, base)];
      expect(b).toEqual(a); // bit-identical
      expect(full).not.toEqual(a);
    }
  });

  it('featuresFor still sets the probe scores (the evidence directions are the committed ones)', async () => {
    for (const req of [
      { policyIndex: 2, audio: 0.95 },
      { policyIndex: 1, visual: 0.97, text: 0.2 },
      { policyIndex: 0, text: 0.3, policyContext: 0.85, noise: 0.5, seed: 3 },
    ]) {
      const f = featuresFor(req);
      const rows = PROBE_ROWS.map((r) => ({ ...r }));
      const scores = await run(session, {
        audio: rows.map(() => f.audio), visual: rows.map(() => f.visual), text: rows.map(() => f.text),
        modality_mask: rows.map((r) => [...r.mask]), policy_context: rows.map((r) => [r.policyContext]),
      });
      const expected = expectedScores(f, req.policyIndex);
      rows.forEach((r, i) => expect(scores[i][req.policyIndex]).toBeCloseTo(expected[r.key], 4));
    }
  });
});

describe('compute-bound variant: generator CLI and server', () => {
  it('--hidden/--layers writes the variant with --out (and --check verifies it), never into the committed repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avlm-variant-'));
    try {
      const args = ['--experimental-strip-types', '--no-warnings', 'gpu-backend/model/generate.ts', '--hidden', '256', '--layers', '3', '--out', dir];
      execFileSync(process.execPath, args, { stdio: 'pipe' });
      expect(sha(readFileSync(modelPath(dir)))).toBe(sha(smallModel));
      expect(readFileSync(configPath(dir), 'utf8')).toContain('Compute-bound variant: per modality 3 dense ReLU layers of width 256');
      expect(spawnSync(process.execPath, [...args, '--check']).status).toBe(0);
      expect(spawnSync(process.execPath, [...args.slice(0, 3), '--hidden', '256', '--layers', '2', '--out', dir, '--check']).status).toBe(1);
      const refused = spawnSync(process.execPath, args.slice(0, 7), { encoding: 'utf8' });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/give --out DIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the server serves it like the committed model (both executors)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'avlm-variant-'));
    try {
      execFileSync(process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/model/generate.ts', '--hidden', '256', '--layers', '3', '--out', dir], { stdio: 'pipe' });
      for (const executor of ['worker', 'inline'] as const) {
        const s = await startServer({ port: 0, providers: ['cpu'], modelPath: modelPath(dir), executor, queueDelayMs: 5 });
        try {
          expect(s.executor).toBe(executor);
          const batches = [randomBatch(3, 51), randomBatch(5, 52)];
          const answers = await Promise.all(batches.map((b) =>
            fetch(`${s.url}/v2/models/avlm/infer`, { method: 'POST', body: JSON.stringify(oipRequest(b)) }).then((r) => r.json())));
          answers.forEach((a, i) => expect(maxAbsDiff(rowsOf(a.outputs[0].data, P), referenceForward(batches[i]))).toBeLessThan(1e-4));
        } finally {
          await s.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
