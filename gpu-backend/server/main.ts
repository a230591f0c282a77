// Entry point of the local inference server (Open Inference Protocol REST on onnxruntime-node).
//
//   node --experimental-strip-types gpu-backend/server/main.ts
//
// Environment:
//   INFERENCE_PORT            port (default 8000, like Triton)
//   INFERENCE_HOST            bind address (default 127.0.0.1; 0.0.0.0 in containers)
//   INFERENCE_MODEL_PATH      ONNX file (default gpu-backend/model_repository/avlm/1/model.onnx)
//   INFERENCE_MAX_BATCH       most rows merged into one execution (default 256; 1 disables batching)
//   INFERENCE_QUEUE_DELAY_MS  batching window in ms (default 2; 0 disables batching)
//   INFERENCE_PROVIDERS       execution providers in order (default "tensorrt,cuda,cpu"; each failure falls to the next)
//   INFERENCE_TRT_FP16        TensorRT FP16 (default 1; 0 = FP32)
//   INFERENCE_TRT_CACHE_DIR   TensorRT engine cache (default <tmp>/avlm-trt-cache; mount a volume to keep engines across restarts)
//   INFERENCE_TRT_OPT_BATCH   batch size TensorRT tunes for (default 64; the profile spans 1 … INFERENCE_MAX_BATCH)
//   INFERENCE_THREADS         onnxruntime intra-op threads (default: onnxruntime's choice)
//   INFERENCE_EXECUTOR        'worker' (default: session.run on its own thread) or 'inline' (main thread)

import { startServer } from './server.ts';
import { parseProviders, trtSettingsFromEnv } from './session.ts';
import { parseExecutor, type ExecutorKind } from './executor.ts';

function numberEnv(name: string, fallback: number | undefined): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

let executor: ExecutorKind;
let providers: string[];
let trt: ReturnType<typeof trtSettingsFromEnv>;
try {
  executor = parseExecutor(process.env.INFERENCE_EXECUTOR);
  providers = parseProviders(process.env.INFERENCE_PROVIDERS);
  trt = trtSettingsFromEnv();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const server = await startServer({
  port: numberEnv('INFERENCE_PORT', 8000),
  host: process.env.INFERENCE_HOST || '127.0.0.1',
  modelPath: process.env.INFERENCE_MODEL_PATH || undefined,
  maxBatchSize: numberEnv('INFERENCE_MAX_BATCH', undefined),
  queueDelayMs: numberEnv('INFERENCE_QUEUE_DELAY_MS', undefined),
  providers: providers!,
  trt: trt!,
  threads: numberEnv('INFERENCE_THREADS', undefined),
  executor: executor!,
  log: (line) => console.error(line),
});
// Which provider runs and why each one before it did not (bench.ts and the tests read this line).
console.log(`inference server ready on ${server.url} (${server.providerSummary})`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
