// Guards in D1 write batches, and what a failed batch means.
//
// D1 batches are transactions without conditional logic: a statement that raises aborts the
// whole batch. A guard is such a statement: it raises unless what the batch was planned from
// still holds. Each guard raises a JSON path error naming itself ('guard:<name>'), which D1
// passes on in its message — `json('…')` of a non-JSON text, used before, reports only
// "malformed JSON", so one guard could not be told from another. Two aborts come from keys
// instead of guards (a delivery id or a slice commit already in its ledger).
//
// abortOf(e) is the one classifier; withRetry is the one retry loop for batches that a
// concurrent writer may abort.
import { ApiError } from '../lib/errors.ts';

export type GuardName =
  /** An item part or overlay row was rewritten since it was read (revisions moved on). */
  | 'stale-item'
  /** Another submission took over the slice's claim. */
  | 'lost-claim'
  /** The model version was registered meanwhile with another stage. */
  | 'stage-conflict'
  /** The GPU backend job was done meanwhile (a duplicate message). */
  | 'job-done'
  /** A vendor's parked label events would pass its cap (MAX_PARKED_PER_VENDOR). */
  | 'parked-cap'
  /** A slice was edited, synced or evicted since its eviction was planned (partition/evict.ts). */
  | 'not-evictable';

export type Abort = GuardName
  /** The delivery id is in the webhook ledger: applied before. */
  | 'duplicate-delivery'
  /** The slice is in the commit ledger: committed before. */
  | 'already-committed';

/** An SQL expression that raises the guard's abort when evaluated. */
export const raiseSql = (name: GuardName) => `json_extract('{}', 'guard:${name}')`;

/** A guard statement: raises `name` unless `cond` (an SQL condition) holds. */
export const guardSql = (cond: string, name: GuardName) =>
  `SELECT json_extract('{}', CASE WHEN ${cond} THEN '$' ELSE 'guard:${name}' END) AS guard`;

const message = (e: unknown) => String((e as Error)?.message ?? e);

/** Which abort a failed D1 batch met; null for any other error. */
export function abortOf(e: unknown): Abort | null {
  const m = message(e);
  const g = /guard:([a-z-]+)/.exec(m);
  if (g) return g[1] as GuardName;
  if (/UNIQUE constraint failed: webhook_deliveries/i.test(m)) return 'duplicate-delivery';
  if (/UNIQUE constraint failed: slice_commits/i.test(m)) return 'already-committed';
  return null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A short random pause before the next attempt, growing with `attempt` (≤ 50 ms). */
export const backoff = (attempt: number) => sleep(Math.min(50, 2 ** Math.min(attempt, 5)) * Math.random());

/** Attempts when another writer rewrote an item first (each re-reads the items). */
export const MAX_ATTEMPTS = 16;

/**
 * Runs `attempt` (plan from a fresh read, then write one batch) until it succeeds. A
 * 'stale-item' abort — a concurrent writer got there first — is retried, after `backoff`
 * unless `opts.pause` is false; any other error is thrown at once. After `opts.attempts`
 * (MAX_ATTEMPTS) the last abort goes to `opts.exhausted` (thrown as it is without).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  opts: { attempts?: number; pause?: boolean; exhausted?: (e: unknown, attempts: number) => unknown } = {},
): Promise<T> {
  const max = opts.attempts ?? MAX_ATTEMPTS;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (abortOf(e) !== 'stale-item') throw e;
      if (n >= max) throw opts.exhausted ? opts.exhausted(e, n) : e;
      if (opts.pause !== false) await backoff(n);
    }
  }
}

/** claimGuard's abort as the submitter's answer. */
export const lostClaim = () =>
  new ApiError(409, 'conflict', 'slice_id: another submission took this slice over while this one was being written; nothing of this one was kept', { field: 'slice_id' });

/** A statement for a write batch: aborts it ('lost-claim') unless `owner` still holds the
 *  slice's claim. Part writes and a streamed slice's commit carry it. */
export function claimGuard(d1: D1Database, pk: number, owner: string): D1PreparedStatement {
  return d1.prepare(guardSql('EXISTS (SELECT 1 FROM slices WHERE pk = ? AND owner = ?)', 'lost-claim')).bind(pk, owner);
}

/** The 409 for a batch that claimGuard aborted; other errors as they are. */
export function lostClaimOr(e: unknown): unknown {
  return abortOf(e) === 'lost-claim' ? lostClaim() : e;
}
