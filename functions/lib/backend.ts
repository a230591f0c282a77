// The GPU backend as configured for this Worker (wrangler.toml vars / secrets).
import { createBackend, type InferenceBackend } from '../../gpu-backend/client/index.ts';
import type { Bindings } from '../env.ts';

export function backendFromEnv(env: Bindings): InferenceBackend {
  return createBackend({
    transport: env.INFERENCE_TRANSPORT === 'hf' ? 'hf' : 'oip',
    url: env.INFERENCE_URL ?? 'http://127.0.0.1:8000',
    model: env.INFERENCE_MODEL ?? 'avlm',
    timeoutMs: Number(env.INFERENCE_TIMEOUT_MS ?? 10_000),
    token: env.INFERENCE_TOKEN,
    // The queue retries the whole job with its own backoff; keep in-call retries short.
    retries: Number(env.INFERENCE_RETRIES ?? 2),
  });
}
