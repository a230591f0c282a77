// The retry schedule of webhook deliveries (SPEC §13): exponential backoff with full jitter
// (a delay drawn uniformly from [0, min(cap, base·2^(n−1))]), for up to a window (24 h) after
// the first attempt, then a dead letter. Pure: the sender passes the clock and the randomness.
import type { Bindings } from '../env.ts';

export interface RetryPolicy {
  baseSeconds: number;
  /** No single delay is longer (Queues refuse delays over 12 h). */
  capSeconds: number;
  windowSeconds: number;
  /** A backstop under the queue's max_retries: the dead letter is ours, not the queue's. */
  maxAttempts: number;
}

export const QUEUE_MAX_DELAY_SECONDS = 43_200;

export function retryPolicy(env: Pick<Bindings, 'NOTIFY_RETRY_BASE_SECONDS' | 'NOTIFY_RETRY_CAP_SECONDS' | 'NOTIFY_RETRY_WINDOW_SECONDS' | 'NOTIFY_MAX_ATTEMPTS'>): RetryPolicy {
  const num = (v: string | undefined, d: number) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? d : Number(v));
  return {
    baseSeconds: num(env.NOTIFY_RETRY_BASE_SECONDS, 30),
    capSeconds: Math.min(QUEUE_MAX_DELAY_SECONDS, num(env.NOTIFY_RETRY_CAP_SECONDS, 3_600)),
    windowSeconds: num(env.NOTIFY_RETRY_WINDOW_SECONDS, 86_400),
    maxAttempts: num(env.NOTIFY_MAX_ATTEMPTS, 100),
  };
}

/**
 * Seconds to wait before the next attempt, or null: give up (dead letter). `attempts`: made so
 * far (≥ 1); `elapsedSeconds`: since the first of them; `random` in [0, 1). The last retry is
 * placed no later than the end of the window.
 */
export function nextRetryDelay(p: RetryPolicy, attempts: number, elapsedSeconds: number, random: () => number = Math.random): number | null {
  if (attempts >= p.maxAttempts) return null;
  const left = p.windowSeconds - elapsedSeconds;
  if (left <= 0) return null;
  const ceiling = Math.min(p.capSeconds, p.baseSeconds * 2 ** Math.max(0, attempts - 1));
  const delay = Math.floor(random() * (ceiling + 1));
  return Math.min(delay, Math.ceil(left));
}
