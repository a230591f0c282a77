// onnxruntime-node session with execution-provider fallback (providers.ts): TensorRT, then
// CUDA, then CPU by default. onnxruntime-node does not fall back by itself — create() throws
// when a provider cannot load — so we catch, try the next, and report which runs and why the
// others did not. TensorRT's options (FP16, engine cache, batch profile) are set from the
// model's inputs before the first attempt (tensorrt.ts).

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { MAX_BATCH_SIZE } from '../model/repository.ts';
import { DEFAULT_PROVIDERS, describeProviders, firstThatLoads, type SkippedProvider } from './providers.ts';
import { applyEnv, DEFAULT_OPT_BATCH, tensorrtEnv } from './tensorrt.ts';

export { parseProviders } from './providers.ts';

export interface LoadedSession {
  session: ort.InferenceSession;
  /** Provider the session runs on: 'tensorrt', 'cuda' or 'cpu' (first of the list that loaded). */
  provider: string;
  /** Providers tried before it, each with why it failed to load. */
  skipped: SkippedProvider[];
  /** The skipped providers in one line ("tensorrt skipped: …; cuda skipped: …"), if any. */
  fallbackReason?: string;
}

export interface TrtSettings {
  /** FP16 (default on; INFERENCE_TRT_FP16=0 turns it off). */
  fp16?: boolean;
  /** Engine cache (default INFERENCE_TRT_CACHE_DIR or <tmp>/avlm-trt-cache). */
  cacheDir?: string;
  /** Batch profile max (the server's max_batch_size) and opt. */
  maxBatch?: number;
  optBatch?: number;
}

/** Settings from INFERENCE_TRT_* (the server's env). */
export function trtSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TrtSettings {
  return {
    fp16: env.INFERENCE_TRT_FP16 === undefined ? undefined : !/^(0|false|no|off)$/i.test(env.INFERENCE_TRT_FP16.trim()),
    cacheDir: env.INFERENCE_TRT_CACHE_DIR || undefined,
    optBatch: env.INFERENCE_TRT_OPT_BATCH ? positiveInt('INFERENCE_TRT_OPT_BATCH', env.INFERENCE_TRT_OPT_BATCH) : undefined,
  };
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** The model's inputs as [batch, width], read from a CPU session (the TensorRT profile needs them before the TensorRT session). */
async function inputWidthsOf(modelPath: string): Promise<{ name: string; width: number }[]> {
  const probe = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  try {
    return probe.inputMetadata.map((m) => ({ name: m.name, width: m.isTensor && typeof m.shape[1] === 'number' ? m.shape[1] : 0 }));
  } finally {
    await probe.release();
  }
}

export async function loadSession(modelPath: string, providers: string[] = [...DEFAULT_PROVIDERS], threads?: number, trt: TrtSettings = trtSettingsFromEnv()): Promise<LoadedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
  // ORT's process-wide logger prints a failed GPU provider load as an error before create()
  // throws; we report the fallback ourselves, so keep that logger to fatal messages then.
  if (providers[0] !== 'cpu' && !process.env.ORT_LOG_LEVEL) ort.env.logLevel = 'fatal';
  else if (process.env.ORT_LOG_LEVEL) ort.env.logLevel = process.env.ORT_LOG_LEVEL as typeof ort.env.logLevel;
  if (providers.includes('tensorrt')) {
    applyEnv(tensorrtEnv({
      fp16: trt.fp16 ?? true,
      cacheDir: trt.cacheDir ?? join(tmpdir(), 'avlm-trt-cache'),
      maxBatch: trt.maxBatch ?? MAX_BATCH_SIZE,
      optBatch: trt.optBatch ?? DEFAULT_OPT_BATCH,
      inputs: await inputWidthsOf(modelPath),
    }));
  }
  const chosen = await firstThatLoads(providers, (eps) => ort.InferenceSession.create(modelPath, {
    ...base,
    executionProviders: eps,
    // A failed GPU load is reported by us; keep ORT's own log quiet for it.
    logSeverityLevel: eps[0] === 'cpu' ? 2 : 4,
  }));
  const fallbackReason = chosen.skipped.length ? describeProviders(chosen.provider, chosen.skipped).split('; ').slice(1).join('; ') : undefined;
  return { session: chosen.value, provider: chosen.provider, skipped: chosen.skipped, fallbackReason };
}
