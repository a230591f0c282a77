// The reference model: reproducible bytes, ONNX == pure-JS reference, masks, crafted features.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { PROBE_KEYS } from '../../taxonomy/types.ts';
import { configPath, labelsPath, modelPath, renderRepository, staleFiles } from '../../gpu-backend/model/generate.ts';
import {
  buildWeights, DIMS, expectedScores, featuresFor, mulberry32, PROBE_ROWS, referenceForward, weights, type ModelInputs,
} from '../../gpu-backend/model/spec.ts';

const P = POLICY_CODES.length;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

type Rows = Record<keyof ModelInputs, number[][]>;

function randomInputs(n: number, seed: number, opts: { masks?: 'random' | 'all' } = {}): Rows {
  const rand = mulberry32(seed);
  const rows = (d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => (rand() * 2 - 1) * 1.5));
  return {
    audio: rows(DIMS.audio),
    visual: rows(DIMS.visual),
    text: rows(DIMS.text),
    modality_mask: Array.from({ length: n }, () => (opts.masks === 'all' ? [1, 1, 1] : [0, 1, 2].map(() => (rand() < 0.6 ? 1 : 0)))),
    policy_context: Array.from({ length: n }, () => [rand() < 0.5 ? 1 : 0]),
  };
}

let session: ort.InferenceSession;
async function runOnnx(inputs: ModelInputs): Promise<number[][]> {
  const n = inputs.audio.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, rows] of Object.entries(inputs) as [string, number[][]][]) {
    feeds[name] = new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, rows[0].length]);
  }
  const out = (await session.run(feeds)).scores;
  expect(out.dims).toEqual([n, P]);
  const data = out.data as Float32Array;
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * P, (i + 1) * P)));
}

beforeAll(async () => {
  session = await ort.InferenceSession.create(modelPath(), { executionProviders: ['cpu'] });
});
afterAll(async () => {
  await session?.release();
});

describe('model repository', () => {
  it('the committed model.onnx, config.pbtxt and labels.txt are what the generator writes', () => {
    expect(staleFiles()).toEqual([]);
    expect(readFileSync(labelsPath(), 'utf8').trim().split('\n')).toEqual([...POLICY_CODES]);
  });

  it('regenerating gives byte-identical files (in-process and through the CLI)', () => {
    const a = renderRepository();
    const b = renderRepository(buildWeights());
    expect(Buffer.from(a.model).equals(Buffer.from(b.model))).toBe(true);
    expect(a.config).toBe(b.config);
    expect(a.labels).toBe(b.labels);
    const dir = mkdtempSync(join(tmpdir(), 'avlm-model-'));
    try {
      execFileSync(process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/model/generate.ts', '--out', dir], { stdio: 'pipe' });
      expect(readFileSync(modelPath(dir)).equals(readFileSync(modelPath()))).toBe(true);
      expect(readFileSync(configPath(dir), 'utf8')).toBe(readFileSync(configPath(), 'utf8'));
      expect(readFileSync(labelsPath(dir), 'utf8')).toBe(readFileSync(labelsPath(), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is small enough to commit', () => {
    expect(statSync(modelPath()).size).toBeLessThan(100_000);
  });

  it('a different seed gives different weights', () => {
    expect(Array.from(buildWeights(POLICY_CODES, 1).W.audio)).not.toEqual(Array.from(weights().W.audio));
  });

  it('declares the SPEC §7 interface', () => {
    expect(session.inputNames).toEqual(['audio', 'visual', 'text', 'modality_mask', 'policy_context']);
    expect(session.outputNames).toEqual(['scores']);
    const shapes = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? [m.type, ...m.shape.slice(1)] : null]));
    expect(shapes).toEqual({
      audio: ['float32', DIMS.audio], visual: ['float32', DIMS.visual], text: ['float32', DIMS.text],
      modality_mask: ['float32', 3], policy_context: ['float32', 1],
    });
    const out = session.outputMetadata[0];
    expect(out.isTensor && out.shape[1]).toBe(P);
  });

  it('config.pbtxt is a Triton config for the same interface', () => {
    const cfg = readFileSync(configPath(), 'utf8');
    expect(cfg).toContain('platform: "onnxruntime_onnx"');
    expect(cfg).toMatch(/max_batch_size: \d+/);
    expect(cfg).toMatch(/dynamic_batching \{\s*max_queue_delay_microseconds: \d+\s*\}/);
    expect(cfg).toContain('label_filename: "labels.txt"');
    expect(cfg).toMatch(/instance_group \[\s*\{\s*count: 1\s*kind: KIND_GPU\s*\}\s*\]/);
    const dims = [...cfg.matchAll(/name: "(\w+)"\s*data_type: TYPE_FP32\s*dims: \[ (\d+) \]/g)].map((m) => [m[1], Number(m[2])]);
    expect(dims).toEqual([['audio', 16], ['visual', 16], ['text', 32], ['modality_mask', 3], ['policy_context', 1], ['scores', P]]);
  });
});

describe('ONNX model vs referenceForward', () => {
  it('agrees to 1e-5 on random inputs with random masks and policy context', async () => {
    const inputs = randomInputs(200, 7);
    const [onnx, ref] = [await runOnnx(inputs), referenceForward(inputs)];
    let maxDiff = 0;
    for (let i = 0; i < 200; i++) for (let p = 0; p < P; p++) maxDiff = Math.max(maxDiff, Math.abs(onnx[i][p] - ref[i][p]));
    expect(maxDiff).toBeLessThan(1e-5);
    // Not a degenerate model: scores spread over (0, 1).
    const flat = onnx.flat();
    expect(Math.min(...flat)).toBeLessThan(0.05);
    expect(Math.max(...flat)).toBeGreaterThan(0.95);
  });

  it('a masked modality contributes nothing: changing its features does not change any score', async () => {
    const base = randomInputs(30, 11, { masks: 'all' });
    for (const [k, m] of (['audio', 'visual', 'text'] as const).entries()) {
      const masked = { ...base, modality_mask: base.modality_mask.map((r) => r.map((v, j) => (j === k ? 0 : v))) };
      const other = { ...masked, [m]: randomInputs(30, 99 + k)[m] };
      const [a, b, full] = [await runOnnx(masked), await runOnnx(other), await runOnnx(base)];
      expect(b).toEqual(a); // bit-identical: the masked input does not reach the output
      expect(full).not.toEqual(a); // …while unmasked it does matter
    }
  });

  it('with every modality masked, the score is the bias (plus policy context)', async () => {
    const inputs = randomInputs(4, 5);
    inputs.modality_mask = inputs.modality_mask.map(() => [0, 0, 0]);
    inputs.policy_context = [[0], [1], [0], [1]];
    const onnx = await runOnnx(inputs);
    const w = weights();
    for (let i = 0; i < 4; i++) {
      for (let p = 0; p < P; p++) {
        const expected = sigmoid(w.b0[p] + (i % 2 ? w.pcBias[p] : 0));
        expect(onnx[i][p]).toBeCloseTo(expected, 5);
      }
    }
  });
});

describe('featuresFor', () => {
  it('hits the requested single-modality probe scores for the target policy', () => {
    for (let p = 0; p < P; p++) {
      const f = featuresFor({ policyIndex: p, audio: 0.9, visual: 0.1, text: 0.7, noise: 0.5, seed: p });
      expect(f.audio).toHaveLength(DIMS.audio);
      expect(f.text).toHaveLength(DIMS.text);
      const s = expectedScores(f, p);
      expect(s.audio_only).toBeCloseTo(0.9, 4);
      expect(s.visual_only).toBeCloseTo(0.1, 4);
      expect(s.text_only).toBeCloseTo(0.7, 4);
    }
  });

  it('nuisance noise changes the features but no score', () => {
    const clean = featuresFor({ policyIndex: 3, audio: 0.8, visual: 0.6, policyContext: 0.3 });
    const noisy = featuresFor({ policyIndex: 3, audio: 0.8, visual: 0.6, policyContext: 0.3, noise: 1, seed: 42 });
    expect(noisy.audio).not.toEqual(clean.audio);
    const a = referenceForward({ audio: [clean.audio], visual: [clean.visual], text: [clean.text], modality_mask: [[1, 1, 1]], policy_context: [[1]] })[0];
    const b = referenceForward({ audio: [noisy.audio], visual: [noisy.visual], text: [noisy.text], modality_mask: [[1, 1, 1]], policy_context: [[1]] })[0];
    for (let p = 0; p < P; p++) expect(b[p]).toBeCloseTo(a[p], 6);
  });

  it('represents audio drowned in fusion (FUS.SUPPRESS.audio): audio alone fires, the fused input does not', () => {
    const s = expectedScores(featuresFor({ policyIndex: 2, audio: 0.95 }), 2);
    expect(s.audio_only).toBeGreaterThan(0.9);
    expect(s.prediction).toBeLessThan(0.5);
  });

  it('represents a visual shortcut (FUS.SHORTCUT.visual): visual alone fires, without visual nothing does', () => {
    const s = expectedScores(featuresFor({ policyIndex: 1, visual: 0.97 }), 1);
    expect(s.visual_only).toBeGreaterThan(0.9);
    expect(s.prediction).toBeGreaterThan(0.5);
    expect(s.no_visual).toBeLessThan(0.5);
  });

  it('sets the policy_context probe both ways (POL.GAP for FN and FP)', () => {
    const up = expectedScores(featuresFor({ policyIndex: 0, text: 0.3, policyContext: 0.85 }), 0);
    expect(up.prediction).toBeLessThan(0.5);
    expect(up.policy_context).toBeCloseTo(0.85, 4);
    const down = expectedScores(featuresFor({ policyIndex: 0, visual: 0.99, policyContext: 0.1 }), 0);
    expect(down.prediction).toBeGreaterThan(0.5);
    expect(down.policy_context).toBeCloseTo(0.1, 4);
  });

  it('leaves other policies near their neutral score', () => {
    const s = referenceForward({ ...(() => { const f = featuresFor({ policyIndex: 4, audio: 0.99, visual: 0.99, text: 0.99 }); return { audio: [f.audio], visual: [f.visual], text: [f.text] }; })(), modality_mask: [[1, 1, 1]], policy_context: [[0]] })[0];
    expect(s[4]).toBeGreaterThan(0.95);
    for (let p = 0; p < P; p++) if (p !== 4) expect(s[p]).toBeLessThan(0.25);
  });

  it('rejects a policy index outside the model', () => {
    expect(() => featuresFor({ policyIndex: P })).toThrow(RangeError);
  });
});

describe('probe rows', () => {
  it('cover the prediction and exactly the seven probes of SPEC §3', () => {
    expect(PROBE_ROWS.map((r) => r.key)).toEqual(['prediction', ...PROBE_KEYS]);
  });
});
