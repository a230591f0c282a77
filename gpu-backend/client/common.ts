// Shared by both transports: batch validation and splitting, per-attempt timeouts,
// bounded retries with exponential backoff and full jitter, response validation.
// fetch / AbortSignal / setTimeout only (Workers-safe).

import { InferenceError, type InferenceBatch } from './types.ts';
import { INPUT_NAMES } from '../interface.ts';

export interface RetryPolicy {
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
}

/** Number of rows after checking that every input has as many rows of one width, all finite. */
export function validateBatch(batch: InferenceBatch): number {
  if (!batch || typeof batch !== 'object') throw new InferenceError('bad_input', 'batch must be an object', { retryable: false });
  if (!Array.isArray(batch.audio)) throw new InferenceError('bad_input', 'batch.audio must be an array of rows', { retryable: false });
  const n = batch.audio.length;
  for (const name of INPUT_NAMES) {
    const rows = batch[name];
    if (!Array.isArray(rows) || rows.length !== n) {
      throw new InferenceError('bad_input', `batch.${name} must be an array of ${n} rows`, { retryable: false });
    }
    const width = rows[0]?.length;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!Array.isArray(row) || row.length !== width || width === 0) {
        throw new InferenceError('bad_input', `batch.${name}[${i}] must have ${width} numbers`, { retryable: false });
      }
      for (const v of row) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new InferenceError('bad_input', `batch.${name}[${i}] has a non-finite value`, { retryable: false });
        }
      }
    }
  }
  if (batch.modality_mask[0] && batch.modality_mask[0].length !== 3) throw new InferenceError('bad_input', 'modality_mask rows must have 3 values', { retryable: false });
  if (batch.policy_context[0] && batch.policy_context[0].length !== 1) throw new InferenceError('bad_input', 'policy_context rows must have 1 value', { retryable: false });
  return n;
}

export function sliceBatch(batch: InferenceBatch, start: number, end: number): InferenceBatch {
  return {
    audio: batch.audio.slice(start, end),
    visual: batch.visual.slice(start, end),
    text: batch.text.slice(start, end),
    modality_mask: batch.modality_mask.slice(start, end),
    policy_context: batch.policy_context.slice(start, end),
  };
}

/** Splits the batch into chunks of at most maxRows, runs them with bounded concurrency, concatenates. */
export async function inferChunked(
  batch: InferenceBatch,
  maxRows: number,
  concurrency: number,
  run: (chunk: InferenceBatch, rows: number) => Promise<number[][]>,
): Promise<number[][]> {
  const n = validateBatch(batch);
  if (n === 0) return [];
  if (n <= maxRows) return run(batch, n);
  const starts: number[] = [];
  for (let s = 0; s < n; s += maxRows) starts.push(s);
  const results: number[][][] = new Array(starts.length);
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const k = next++;
      const end = Math.min(n, starts[k] + maxRows);
      results[k] = await run(sliceBatch(batch, starts[k], end), end - starts[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), starts.length) }, worker));
  return results.flat();
}

/** Full-jitter exponential backoff: uniform(0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  return Math.random() * Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` up to 1 + retries times. Each attempt gets its own timeout signal;
 * `classify` turns whatever it threw into an InferenceError. Only retryable errors retry.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  attempt: (signal: AbortSignal, hint: { retryAfterMs?: number }) => Promise<T>,
  classify: (err: unknown, timedOut: boolean) => InferenceError,
): Promise<T> {
  for (let k = 0; ; k++) {
    if (callerSignal?.aborted) throw new InferenceError('aborted', 'inference aborted by the caller', { retryable: false, attempts: k, cause: callerSignal.reason });
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
    const hint: { retryAfterMs?: number } = {};
    let err: InferenceError;
    try {
      return await attempt(signal, hint);
    } catch (e) {
      if (callerSignal?.aborted) throw new InferenceError('aborted', 'inference aborted by the caller', { retryable: false, attempts: k + 1, cause: e });
      err = e instanceof InferenceError ? e : classify(e, timeout.aborted);
    }
    err.attempts = k + 1;
    if (!err.retryable || k >= policy.retries) throw err;
    const wait = hint.retryAfterMs !== undefined ? Math.min(hint.retryAfterMs, policy.maxBackoffMs) : backoffDelay(k, policy);
    try {
      await sleep(wait, callerSignal);
    } catch (e) {
      throw new InferenceError('aborted', 'inference aborted by the caller', { retryable: false, attempts: k + 1, cause: e });
    }
  }
}

/** Classifies a thrown fetch error: timeout, or network (both retryable). */
export function classifyFetchError(err: unknown, timedOut: boolean): InferenceError {
  if (timedOut || (err instanceof Error && err.name === 'TimeoutError')) {
    return new InferenceError('timeout', 'inference timed out', { retryable: true, cause: err });
  }
  const detail = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return new InferenceError('network', `inference request failed: ${detail}`, { retryable: true, cause: err });
}

/**
 * Checks a [rows][policies] score matrix (already un-flattened): right row count, same width
 * everywhere (= expected when known), finite probabilities. Returns it as number[][].
 */
export function checkScores(scores: unknown, rows: number, policies: number | undefined, where: string): number[][] {
  const bad = (why: string) => new InferenceError('malformed', `malformed scores from ${where}: ${why}`, { retryable: false });
  if (!Array.isArray(scores)) throw bad('not an array');
  if (scores.length !== rows) throw bad(`${scores.length} rows for ${rows} inputs`);
  const width = policies ?? (Array.isArray(scores[0]) ? scores[0].length : 0);
  if (width < 1) throw bad('empty rows');
  for (let i = 0; i < scores.length; i++) {
    const row = scores[i];
    if (!Array.isArray(row) || row.length !== width) throw bad(`row ${i} has ${Array.isArray(row) ? row.length : 'no'} scores, expected ${width}`);
    for (const v of row) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw bad(`row ${i} has a score outside [0, 1]: ${JSON.stringify(v)}`);
    }
  }
  return scores as number[][];
}

/** Parses a Retry-After header (seconds or HTTP date) into ms. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}
