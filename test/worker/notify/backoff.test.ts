// The retry schedule (notify/backoff.ts): exponential ceiling with full jitter, capped per
// delay, never past the 24 h window, and a backstop on the attempt count.
import { describe, it, expect } from 'vitest';
import { nextRetryDelay, retryPolicy, QUEUE_MAX_DELAY_SECONDS } from '../../../functions/notify/backoff.ts';

const prod = retryPolicy({}); // the deployed defaults

describe('webhook retry schedule', () => {
  it('defaults: base 30 s, at most an hour per delay, a 24 h window, 100 attempts', () => {
    expect(prod).toEqual({ baseSeconds: 30, capSeconds: 3600, windowSeconds: 86_400, maxAttempts: 100 });
    expect(retryPolicy({ NOTIFY_RETRY_CAP_SECONDS: '999999' }).capSeconds).toBe(QUEUE_MAX_DELAY_SECONDS);
  });

  it('draws each delay uniformly up to base·2^(n−1), capped (full jitter)', () => {
    // random → 1 (just below): the ceiling itself; 0: no wait; 0.5: half of it (floored).
    const top = () => 0.999999999;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => nextRetryDelay(prod, n, 0, top))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(nextRetryDelay(prod, 5, 0, () => 0)).toBe(0);
    expect(nextRetryDelay(prod, 3, 0, () => 0.5)).toBe(60);
    const seen = new Set(Array.from({ length: 2000 }, () => nextRetryDelay(prod, 2, 0)));
    expect(Math.min(...(seen as Set<number>))).toBe(0);
    expect(Math.max(...(seen as Set<number>))).toBe(60);
  });

  it('gives up at the end of the window, and places the last retry no later than it', () => {
    expect(nextRetryDelay(prod, 20, 86_400, () => 0)).toBeNull();
    expect(nextRetryDelay(prod, 20, 86_400 - 100, () => 0.999)).toBe(100);
    expect(nextRetryDelay(prod, 99, 10, () => 0)).toBe(0);
    expect(nextRetryDelay(prod, 100, 10, () => 0)).toBeNull();
  });

  it('spans the 24 h window in a realistic number of attempts, under the queue max_retries of 100', () => {
    // Simulated: a receiver down for good, with seeded jitter.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 50; run++) {
      let elapsed = 0;
      let n = 1;
      for (;;) {
        const d = nextRetryDelay(prod, n, elapsed, rand);
        if (d === null) break;
        elapsed += d;
        n++;
      }
      expect(elapsed).toBeGreaterThanOrEqual(86_400);
      expect(n).toBeLessThan(100);
    }
  });
});
