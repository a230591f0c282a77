// Execution-provider order and fallback, as pure functions (session.ts does the I/O).
//
// onnxruntime-node does not fall back by itself: InferenceSession.create throws when a listed
// provider cannot load (no CUDA/TensorRT libraries, no GPU). So the server tries the list,
// then each shorter tail (tensorrt,cuda,cpu → cuda,cpu → cpu), and records why each skipped
// provider failed, for the start-up line and the metadata.

/** INFERENCE_PROVIDERS' default: TensorRT (FP16, fused kernels) first, then CUDA, then CPU. */
export const DEFAULT_PROVIDERS: readonly string[] = ['tensorrt', 'cuda', 'cpu'];
const KNOWN = new Set(['tensorrt', 'cuda', 'cpu']);

/** INFERENCE_PROVIDERS-style list: "tensorrt,cuda,cpu" → ['tensorrt','cuda','cpu']; unknown names throw. */
export function parseProviders(value: string | undefined): string[] {
  const list = (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = list.filter((p) => !KNOWN.has(p));
  if (unknown.length) throw new Error(`INFERENCE_PROVIDERS: unknown provider ${unknown.map((u) => JSON.stringify(u)).join(', ')} (known: ${[...KNOWN].join(', ')})`);
  return list.length ? [...new Set(list)] : [...DEFAULT_PROVIDERS];
}

/** The provider lists tried in order: the list, each shorter tail, and plain CPU last. */
export function attemptLists(providers: readonly string[]): string[][] {
  const attempts = providers.map((_, i) => providers.slice(i));
  if (!attempts.some((a) => a.length === 1 && a[0] === 'cpu')) attempts.push(['cpu']);
  return attempts;
}

export interface SkippedProvider {
  provider: string;
  /** First line of the error InferenceSession.create threw for it. */
  reason: string;
}

export interface Chosen<T> {
  value: T;
  /** Provider that runs the model (first of the list that loaded). */
  provider: string;
  /** Providers tried before it, in order, each with why it failed. */
  skipped: SkippedProvider[];
}

/** First line of an error, without ANSI colours, bounded (ORT's messages can be long). */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].replace(/\u001b\[[0-9;]*m/g, '').trim().slice(0, 300);
}

/**
 * Calls `create` with each list of attemptLists(providers) until one succeeds. A failure of
 * plain CPU is not caught (nothing left to try: the model itself is broken).
 */
export async function firstThatLoads<T>(providers: readonly string[], create: (eps: string[]) => Promise<T>): Promise<Chosen<T>> {
  const skipped: SkippedProvider[] = [];
  for (const eps of attemptLists(providers)) {
    try {
      return { value: await create(eps), provider: eps[0], skipped };
    } catch (err) {
      if (eps.length === 1 && eps[0] === 'cpu') throw err;
      skipped.push({ provider: eps[0], reason: firstLine(err) });
    }
  }
  throw new Error('unreachable: the last attempt is plain CPU');
}

/** The start-up line's tail: "provider: cpu; tensorrt skipped: …; cuda skipped: …". */
export function describeProviders(provider: string, skipped: readonly SkippedProvider[]): string {
  return [`provider: ${provider}`, ...skipped.map((s) => `${s.provider} skipped: ${s.reason}`)].join('; ');
}
