// TensorRT execution-provider options for the local server.
//
// onnxruntime-node's binding passes only `deviceId` to the TensorRT provider, so its other
// options travel through ONNX Runtime's documented ORT_TENSORRT_* environment variables, read
// by the provider when the session is created. A variable already set in the environment wins
// (an operator's override). Pure: returns the variables; session.ts applies them.

export interface TrtOptions {
  /** FP16 kernels (default on). ORT's TensorRT provider keeps FP32 where the GPU has no fast FP16. */
  fp16: boolean;
  /** Engine cache directory: engines are built once per model × GPU × TensorRT version, not on every start. */
  cacheDir: string;
  /** Largest batch (rows) the engine's optimization profile accepts: the server's max_batch_size. */
  maxBatch: number;
  /** Batch size TensorRT tunes its kernels for (≤ maxBatch). */
  optBatch: number;
  /** Model inputs with their width (shape [batch, width]). */
  inputs: readonly { name: string; width: number }[];
}

/** Rows TensorRT tunes for by default: a probe batch is 8 rows per item, so 8 items. */
export const DEFAULT_OPT_BATCH = 64;

/** TensorRT shape-profile string: "audio:64x16,visual:64x16,…" (trtexec and ORT share the syntax). */
export function shapeProfile(inputs: TrtOptions['inputs'], batch: number): string {
  return inputs.map((i) => `${i.name}:${batch}x${i.width}`).join(',');
}

export function tensorrtEnv(o: TrtOptions): Record<string, string> {
  if (!(o.maxBatch >= 1)) throw new Error(`TensorRT max batch must be ≥ 1, got ${o.maxBatch}`);
  const opt = Math.min(Math.max(1, o.optBatch), o.maxBatch);
  return {
    ORT_TENSORRT_FP16_ENABLE: o.fp16 ? '1' : '0',
    ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1',
    ORT_TENSORRT_CACHE_PATH: o.cacheDir,
    // Explicit profile: batch dimension from 1 to max_batch_size, so no request rebuilds the engine.
    ORT_TENSORRT_PROFILE_MIN_SHAPES: shapeProfile(o.inputs, 1),
    ORT_TENSORRT_PROFILE_OPT_SHAPES: shapeProfile(o.inputs, opt),
    ORT_TENSORRT_PROFILE_MAX_SHAPES: shapeProfile(o.inputs, o.maxBatch),
  };
}

/** Sets the variables not already set; returns those it set. */
export function applyEnv(vars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string[] {
  const set: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    if (env[k] !== undefined) continue;
    env[k] = v;
    set.push(k);
  }
  return set;
}
