// The feature dims the configured GPU backend takes, for ingest validation and probe batches,
// and the check of an item's feature vectors against them.
//
// Why from the backend's metadata, with the reference spec as fallback: an OIP backend (the
// local server, Triton, KServe) declares its inputs in GET /v2/models/{model} (inputs[].shape
// [-1, d]), so a deployment serving another model is validated against what it really takes.
// An HF endpoint has no metadata route, and an unreachable backend must not block ingest: both
// use the reference model's DIMS (gpu-backend/interface.ts), which every bundled backend
// serves. Cached per isolate (a metadata call per submission would put the backend on the
// ingest path); a failed lookup is cached for less time so a recovering backend is seen soon.
import { DIMS, type FeatureDims } from '../../gpu-backend/client/index.ts';
import type { Bindings } from '../env.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { MODALITY_ORDER } from '../../gpu-backend/interface.ts';

const TTL_MS = 5 * 60_000;
const FALLBACK_TTL_MS = 30_000;
const LOOKUP_TIMEOUT_MS = 2_000;

// The resolved dims, never a pending promise: a promise made by one request's I/O and awaited
// by another runs the other's continuation in the first one's context, and workerd then refuses
// that request's own I/O ("Cannot perform I/O on behalf of a different request").
let cached: { key: string; until: number; dims: FeatureDims } | undefined;

/** dims from an OIP model metadata document, or null when it does not declare all three. */
export function dimsFromMetadata(meta: unknown): FeatureDims | null {
  const inputs = (meta as { inputs?: unknown })?.inputs;
  if (!Array.isArray(inputs)) return null;
  const out: Partial<Record<keyof FeatureDims, number>> = {};
  for (const m of Object.keys(DIMS) as Array<keyof FeatureDims>) {
    const shape = inputs.find((x) => x && typeof x === 'object' && (x as { name?: unknown }).name === m)?.shape;
    const d = Array.isArray(shape) ? shape[shape.length - 1] : undefined;
    if (!Number.isSafeInteger(d) || d <= 0) return null;
    out[m] = d;
  }
  return out as FeatureDims;
}

async function lookup(env: Bindings): Promise<{ dims: FeatureDims; fromBackend: boolean }> {
  if (env.INFERENCE_TRANSPORT === 'hf') return { dims: DIMS, fromBackend: false };
  const base = (env.INFERENCE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/v2/models/${encodeURIComponent(env.INFERENCE_MODEL ?? 'avlm')}`, {
      headers: env.INFERENCE_TOKEN ? { authorization: `Bearer ${env.INFERENCE_TOKEN}` } : {},
      signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
    const dims = res.ok ? dimsFromMetadata(await res.json()) : (await res.body?.cancel(), null);
    return dims ? { dims, fromBackend: true } : { dims: DIMS, fromBackend: false };
  } catch {
    return { dims: DIMS, fromBackend: false };
  }
}

/** The backend's feature dims (cached), else the reference model's. Never throws. Requests that
 *  find no fresh entry each look up (a few concurrent lookups at expiry are cheap). */
export async function featureDims(env: Bindings): Promise<FeatureDims> {
  const key = `${env.INFERENCE_TRANSPORT}|${env.INFERENCE_URL}|${env.INFERENCE_MODEL}`;
  if (cached && cached.key === key && Date.now() < cached.until) return cached.dims;
  const r = await lookup(env);
  cached = { key, until: Date.now() + (r.fromBackend ? TTL_MS : FALLBACK_TTL_MS), dims: r.dims };
  return r.dims;
}

/** The first feature vector whose length the model does not take, as its field and why; null
 *  when all fit. Ingest answers it with a 400; the probe consumer marks an item stored before
 *  this check (or under other dims) unprobeable with it. */
export function featureLengthIssue(features: EvalItem['features'], dims: FeatureDims): { field: string; message: string } | null {
  if (!features) return null;
  for (const m of MODALITY_ORDER) {
    const v = features[m];
    if (Array.isArray(v) && v.length !== dims[m]) return { field: `features.${m}`, message: `has ${v.length} values, the model takes ${dims[m]}` };
  }
  return null;
}


/** Drops the cached dims (tests; a deployment changes its backend by a new version anyway). */
export function forgetFeatureDims(): void {
  cached = undefined;
}
