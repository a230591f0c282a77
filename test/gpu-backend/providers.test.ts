// Execution-provider fallback: the order and messages as pure functions with injected
// failures, then real onnxruntime-node on this machine, whose .npmrc skips the CUDA/TensorRT
// download — so tensorrt and cuda really fail to load and the server must land on cpu.
import { afterEach, describe, expect, it } from 'vitest';
import { attemptLists, describeProviders, firstThatLoads, parseProviders } from '../../gpu-backend/server/providers.ts';
import { applyEnv, shapeProfile, tensorrtEnv } from '../../gpu-backend/server/tensorrt.ts';
import { loadSession, trtSettingsFromEnv } from '../../gpu-backend/server/session.ts';
import { startServer } from '../../gpu-backend/server/server.ts';
import { modelPath } from '../../gpu-backend/model/repository.ts';

describe('provider order (pure)', () => {
  it('INFERENCE_PROVIDERS: tensorrt,cuda,cpu by default; unknown names are rejected by name', () => {
    expect(parseProviders(undefined)).toEqual(['tensorrt', 'cuda', 'cpu']);
    expect(parseProviders(' CUDA , cpu ')).toEqual(['cuda', 'cpu']);
    expect(() => parseProviders('tensorrt,tenssorrt')).toThrow(/INFERENCE_PROVIDERS.*"tenssorrt"/);
  });

  it('tries the list, then each shorter tail, and plain CPU last even when not listed', () => {
    expect(attemptLists(['tensorrt', 'cuda', 'cpu'])).toEqual([['tensorrt', 'cuda', 'cpu'], ['cuda', 'cpu'], ['cpu']]);
    expect(attemptLists(['tensorrt', 'cuda'])).toEqual([['tensorrt', 'cuda'], ['cuda'], ['cpu']]);
  });

  it('catches each failure, tries the next, and records why each was skipped, in order', async () => {
    const tried: string[][] = [];
    const fail = new Set(['tensorrt', 'cuda']);
    const chosen = await firstThatLoads(['tensorrt', 'cuda', 'cpu'], async (eps) => {
      tried.push(eps);
      if (fail.has(eps[0])) throw new Error(`\u001b[1m${eps[0]} library missing\u001b[0m\nstack line`);
      return `session on ${eps.join('+')}`;
    });
    expect(tried).toEqual([['tensorrt', 'cuda', 'cpu'], ['cuda', 'cpu'], ['cpu']]);
    expect(chosen.value).toBe('session on cpu');
    expect(chosen.provider).toBe('cpu');
    expect(chosen.skipped).toEqual([
      { provider: 'tensorrt', reason: 'tensorrt library missing' },
      { provider: 'cuda', reason: 'cuda library missing' },
    ]);
    expect(describeProviders(chosen.provider, chosen.skipped)).toBe('provider: cpu; tensorrt skipped: tensorrt library missing; cuda skipped: cuda library missing');
  });

  it('stops at the first provider that loads (cuda when only tensorrt fails)', async () => {
    const chosen = await firstThatLoads(['tensorrt', 'cuda', 'cpu'], async (eps) => {
      if (eps[0] === 'tensorrt') throw new Error('no TensorRT');
      return eps;
    });
    expect(chosen).toEqual({ value: ['cuda', 'cpu'], provider: 'cuda', skipped: [{ provider: 'tensorrt', reason: 'no TensorRT' }] });
    expect(describeProviders('tensorrt', [])).toBe('provider: tensorrt');
  });

  it('a failure on plain CPU is thrown (nothing left to try)', async () => {
    await expect(firstThatLoads(['cuda', 'cpu'], async () => { throw new Error('model broken'); })).rejects.toThrow('model broken');
  });
});

describe('TensorRT options (pure)', () => {
  const inputs = [{ name: 'audio', width: 16 }, { name: 'policy_context', width: 1 }];
  it('FP16, an engine cache and a batch profile 1 … max_batch_size', () => {
    expect(tensorrtEnv({ fp16: true, cacheDir: '/c', maxBatch: 256, optBatch: 64, inputs })).toEqual({
      ORT_TENSORRT_FP16_ENABLE: '1',
      ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1',
      ORT_TENSORRT_CACHE_PATH: '/c',
      ORT_TENSORRT_PROFILE_MIN_SHAPES: 'audio:1x16,policy_context:1x1',
      ORT_TENSORRT_PROFILE_OPT_SHAPES: 'audio:64x16,policy_context:64x1',
      ORT_TENSORRT_PROFILE_MAX_SHAPES: 'audio:256x16,policy_context:256x1',
    });
    // opt is clamped into the profile; FP16 off is FP32.
    const small = tensorrtEnv({ fp16: false, cacheDir: '/c', maxBatch: 8, optBatch: 64, inputs });
    expect(small.ORT_TENSORRT_FP16_ENABLE).toBe('0');
    expect(small.ORT_TENSORRT_PROFILE_OPT_SHAPES).toBe(shapeProfile(inputs, 8));
  });

  it('an operator-set variable wins over ours', () => {
    const env: NodeJS.ProcessEnv = { ORT_TENSORRT_FP16_ENABLE: '0' };
    expect(applyEnv({ ORT_TENSORRT_FP16_ENABLE: '1', ORT_TENSORRT_CACHE_PATH: '/c' }, env)).toEqual(['ORT_TENSORRT_CACHE_PATH']);
    expect(env).toEqual({ ORT_TENSORRT_FP16_ENABLE: '0', ORT_TENSORRT_CACHE_PATH: '/c' });
  });

  it('INFERENCE_TRT_* settings', () => {
    expect(trtSettingsFromEnv({})).toEqual({ fp16: undefined, cacheDir: undefined, optBatch: undefined });
    expect(trtSettingsFromEnv({ INFERENCE_TRT_FP16: 'off', INFERENCE_TRT_CACHE_DIR: '/cache', INFERENCE_TRT_OPT_BATCH: '32' })).toEqual({ fp16: false, cacheDir: '/cache', optBatch: 32 });
    expect(() => trtSettingsFromEnv({ INFERENCE_TRT_OPT_BATCH: 'lots' })).toThrow('INFERENCE_TRT_OPT_BATCH must be a positive integer, got "lots"');
  });
});

describe('real onnxruntime-node without GPU libraries', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('ORT_TENSORRT_') && !(k in saved)) delete process.env[k];
  });

  it('tensorrt and cuda fail to load, each is reported, and the session runs on cpu', async () => {
    const loaded = await loadSession(modelPath(), ['tensorrt', 'cuda', 'cpu'], 1, { cacheDir: '/tmp/avlm-trt-test', maxBatch: 256 });
    try {
      expect(loaded.provider).toBe('cpu');
      expect(loaded.skipped.map((s) => s.provider)).toEqual(['tensorrt', 'cuda']);
      expect(loaded.skipped[0].reason).toMatch(/TensorRT/i);
      expect(loaded.skipped[1].reason).toMatch(/Cuda/i);
      expect(loaded.fallbackReason).toBe(`tensorrt skipped: ${loaded.skipped[0].reason}; cuda skipped: ${loaded.skipped[1].reason}`);
      // The TensorRT profile was derived from the model's own inputs before the attempt.
      expect(process.env.ORT_TENSORRT_PROFILE_MAX_SHAPES).toBe('audio:256x16,visual:256x16,text:256x32,modality_mask:256x3,policy_context:256x1');
      expect(process.env.ORT_TENSORRT_CACHE_PATH).toBe('/tmp/avlm-trt-test');
    } finally {
      await loaded.session.release();
    }
  });

  it('the server names the provider that runs and the skipped ones in its metadata', async () => {
    const s = await startServer({ port: 0, executor: 'inline', trt: { cacheDir: '/tmp/avlm-trt-test' } });
    try {
      expect(s.provider).toBe('cpu');
      expect(s.providerSummary).toMatch(/^provider: cpu; tensorrt skipped: .+; cuda skipped: .+$/);
      for (const path of ['/v2', '/v2/models/avlm']) {
        const meta = (await (await fetch(s.url + path)).json()) as { execution_provider: string; execution_providers_skipped: { provider: string; reason: string }[] };
        expect(meta.execution_provider).toBe('cpu');
        expect(meta.execution_providers_skipped).toEqual(s.skipped);
        expect(meta.execution_providers_skipped.map((x) => x.provider)).toEqual(['tensorrt', 'cuda']);
      }
    } finally {
      await s.close();
    }
  });
});
