// Retries with exponential backoff (and jitter) for network errors and 5xx only; everything
// else is thrown at once.
import { RetryableError } from './errors.js';

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @template T
 * @param {(attempt: number) => Promise<T>} fn
 * @param {{ retries: number, backoffMs: number, log: (s: string) => void }} o  retries: tries after the first
 * @returns {Promise<T>}
 */
export async function withRetries(fn, { retries, backoffMs, log }) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt > retries) throw e;
      const wait = backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      log(`${e.message}; retrying in ${(wait / 1000).toFixed(1)} s (${attempt}/${retries})`);
      await sleep(wait);
    }
  }
}
