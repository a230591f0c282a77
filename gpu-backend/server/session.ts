// onnxruntime-node session with execution-provider fallback: CUDA first when asked, CPU
// otherwise. onnxruntime-node does not fall back by itself — InferenceSession.create throws
// when the CUDA provider cannot load — so we catch, retry with CPU, and report which runs.

import ort from 'onnxruntime-node';

export interface LoadedSession {
  session: ort.InferenceSession;
  /** Provider the session runs on: 'cuda' or 'cpu' (first provider of the list that loaded). */
  provider: string;
  /** Why a preferred provider was skipped (first line of its error), if one was. */
  fallbackReason?: string;
}

/** INFERENCE_PROVIDERS-style list: "cuda,cpu" → ['cuda','cpu']. */
export function parseProviders(value: string | undefined): string[] {
  const list = (value ?? 'cuda,cpu').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return list.length ? list : ['cuda', 'cpu'];
}

export async function loadSession(modelPath: string, providers: string[] = ['cuda', 'cpu'], threads?: number): Promise<LoadedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
  let fallbackReason: string | undefined;
  // ORT's process-wide logger prints the failed CUDA load as an error before create() throws;
  // we report the fallback ourselves, so keep that logger to fatal messages when CUDA is tried.
  if (providers[0] !== 'cpu' && !process.env.ORT_LOG_LEVEL) ort.env.logLevel = 'fatal';
  else if (process.env.ORT_LOG_LEVEL) ort.env.logLevel = process.env.ORT_LOG_LEVEL as typeof ort.env.logLevel;
  // Try the full list (e.g. cuda then cpu), then each shorter tail, ending with plain CPU.
  const attempts: string[][] = [];
  for (let i = 0; i < providers.length; i++) attempts.push(providers.slice(i));
  if (!attempts.some((a) => a.length === 1 && a[0] === 'cpu')) attempts.push(['cpu']);
  for (const eps of attempts) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        ...base,
        executionProviders: eps,
        // The failed CUDA load is reported by us below; keep ORT's own log quiet for it.
        logSeverityLevel: eps[0] === 'cpu' ? 2 : 4,
      });
      return { session, provider: eps[0], fallbackReason };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (eps.length === 1 && eps[0] === 'cpu') throw err;
      fallbackReason ??= `${eps[0]}: ${msg.split('\n')[0].replace(/\u001b\[[0-9;]*m/g, '').slice(0, 300)}`;
    }
  }
  throw new Error('unreachable');
}
