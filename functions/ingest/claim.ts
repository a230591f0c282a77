// Claims a slice for processing. The unique (region, slice_id) row is the lock: whoever
// inserts it owns the slice; a retry of the same content gets the stored result, other
// content gets 409, and a stale or failed claim of the same content can be taken over.
import { conflict } from '../lib/errors.ts';
import { nowIso } from '../lib/db.ts';
import type { SliceHeader } from '../schemas/item.ts';
import { getSlice, type SliceRow } from '../store/slices.ts';

export const LEASE_MS = 10 * 60_000;
/** A streamed submission (no content hash yet) renews its claim every third of this; silent
 *  for longer, it is dead (its client went away mid-body) and the slice_id can be taken over.
 *  STREAM_LEASE_SECONDS overrides it. */
export const STREAM_LEASE_MS = 60_000;

export type Claim =
  | { kind: 'owned'; pk: number; owner: string; buckets: number }
  | { kind: 'done'; row: SliceRow }
  | { kind: 'busy'; row: SliceRow };

async function checkStage(d1: D1Database, m: SliceHeader['model']): Promise<void> {
  const known = await d1.prepare('SELECT stage FROM model_versions WHERE model_id = ? AND version = ?')
    .bind(m.id, m.version).first<{ stage: string }>();
  if (known && known.stage !== m.stage) {
    throw conflict(`model.stage: model ${m.id} version ${m.version} is registered with stage '${known.stage}', not '${m.stage}'`, { field: 'model.stage' });
  }
}

/** A new row for the slice, or null when (region, slice_id) exists. `hash` null: still streaming. */
async function insertClaim(
  d1: D1Database, region: string, header: SliceHeader, hash: string | null, owner: string, buckets: number, r2Key: string | null,
): Promise<number | null> {
  const m = header.model;
  const now = nowIso();
  const inserted = await d1.prepare(
    `INSERT INTO slices (region, slice_id, model_id, model_version, model_stage, content_hash, status, owner, buckets, r2_key, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'processing', ?, ?, ?, ?, ?) ON CONFLICT(region, slice_id) DO NOTHING RETURNING pk`,
  ).bind(region, header.slice_id, m.id, m.version, m.stage, hash, owner, buckets, r2Key, now, now).first<{ pk: number }>();
  return inserted?.pk ?? null;
}

/** A claim nobody renews any more: a streamed one (no hash) after `streamLeaseMs`, else LEASE_MS. */
const isStale = (row: SliceRow, streamLeaseMs: number) =>
  Date.parse(row.updated_at) < Date.now() - (row.content_hash === null && row.status === 'processing' ? streamLeaseMs : LEASE_MS);

/**
 * Takes over `row` (failed, or its lease ran out) if nobody changed it since it was read. A row
 * without a content hash was left by a streamed submission that never committed: its parts are
 * deleted in the same batch and its bucket count replaced (the new body may differ in size).
 */
async function takeOver(d1: D1Database, row: SliceRow, owner: string, hash: string | null, buckets: number, r2Key: string | null): Promise<boolean> {
  const unhashed = row.content_hash === null;
  const [took] = await d1.batch([
    d1.prepare(
      `UPDATE slices SET owner = ?, status = 'processing', error = NULL, r2_key = ?, content_hash = ?, buckets = ?, updated_at = ?
       WHERE pk = ? AND status = ? AND owner IS ? AND updated_at = ?`,
    ).bind(owner, r2Key, unhashed ? hash : row.content_hash, unhashed ? buckets : row.buckets, nowIso(), row.pk, row.status, row.owner, row.updated_at),
    ...(unhashed ? [d1.prepare('DELETE FROM item_chunks WHERE slice_pk = ? AND EXISTS (SELECT 1 FROM slices WHERE pk = ? AND owner = ?)').bind(row.pk, row.pk, owner)] : []),
  ]);
  return took.meta.changes === 1;
}

export async function claimSlice(
  d1: D1Database,
  args: { region: string; header: SliceHeader; hash: string; buckets: number; r2Key?: string; streamLeaseMs?: number },
): Promise<Claim> {
  const { region, header, hash, buckets } = args;
  await checkStage(d1, header.model);
  const owner = crypto.randomUUID();
  const pk = await insertClaim(d1, region, header, hash, owner, buckets, args.r2Key ?? null);
  if (pk !== null) return { kind: 'owned', pk, owner, buckets };

  const row = (await getSlice(d1, region, header.slice_id))!;
  // No hash yet: a streamed submission is still reading its body (or died doing so).
  if (row.content_hash !== null && row.content_hash !== hash) {
    throw conflict(`slice_id '${header.slice_id}' was already submitted in ${region} with other content`, { field: 'slice_id' });
  }
  if (row.status === 'complete' || row.status === 'probing') return { kind: 'done', row };
  if (row.status === 'failed' || isStale(row, args.streamLeaseMs ?? STREAM_LEASE_MS)) {
    if (await takeOver(d1, row, owner, hash, buckets, args.r2Key ?? row.r2_key)) {
      return { kind: 'owned', pk: row.pk, owner, buckets: row.content_hash === null ? buckets : row.buckets };
    }
  }
  return { kind: 'busy', row };
}

/**
 * Claims a slice before its body has been read (content hash unknown): a new slice_id, or one
 * left behind by a streamed submission that never committed and whose lease ran out. Null
 * otherwise — the caller then hashes the body first and uses claimSlice.
 */
export async function claimUnhashed(
  d1: D1Database,
  args: { region: string; header: SliceHeader; buckets: number; streamLeaseMs?: number },
): Promise<{ kind: 'owned'; pk: number; owner: string; buckets: number } | null> {
  const { region, header, buckets } = args;
  await checkStage(d1, header.model);
  const owner = crypto.randomUUID();
  const pk = await insertClaim(d1, region, header, null, owner, buckets, null);
  if (pk !== null) return { kind: 'owned', pk, owner, buckets };
  const row = await getSlice(d1, region, header.slice_id);
  if (row && row.content_hash === null && row.status === 'processing' && isStale(row, args.streamLeaseMs ?? STREAM_LEASE_MS) && await takeOver(d1, row, owner, null, buckets, null)) {
    return { kind: 'owned', pk: row.pk, owner, buckets };
  }
  return null;
}

/** Undoes a streamed claim that did not commit: its parts and its row, as if never submitted. */
export async function releaseUnhashed(d1: D1Database, pk: number, owner: string): Promise<void> {
  await d1.batch([
    d1.prepare('DELETE FROM item_chunks WHERE slice_pk = ? AND EXISTS (SELECT 1 FROM slices WHERE pk = ? AND owner = ? AND content_hash IS NULL)').bind(pk, pk, owner),
    d1.prepare(`DELETE FROM slices WHERE pk = ? AND owner = ? AND content_hash IS NULL AND status = 'processing'`).bind(pk, owner),
  ]);
}

/** Streamed submissions that died without committing, silent for `idleMs`: parts and rows
 *  removed (a resubmission would have taken them over; nobody came back). */
export async function sweepAbandonedStreams(d1: D1Database, idleMs = LEASE_MS): Promise<number> {
  const before = new Date(Date.now() - idleMs).toISOString();
  const [, gone] = await d1.batch([
    d1.prepare(`DELETE FROM item_chunks WHERE slice_pk IN (SELECT pk FROM slices WHERE status = 'processing' AND content_hash IS NULL AND updated_at < ?)`).bind(before),
    d1.prepare(`DELETE FROM slices WHERE status = 'processing' AND content_hash IS NULL AND updated_at < ?`).bind(before),
  ]);
  return gone.meta.changes;
}

/** Keeps a long-running claim alive; false when someone else has taken it over. */
export async function renewLease(d1: D1Database, pk: number, owner: string): Promise<boolean> {
  const r = await d1.prepare(`UPDATE slices SET updated_at = ? WHERE pk = ? AND owner = ? AND status = 'processing'`)
    .bind(nowIso(), pk, owner).run();
  return r.meta.changes === 1;
}

export async function failSlice(d1: D1Database, pk: number, owner: string, reason: string): Promise<void> {
  await d1.prepare(`UPDATE slices SET status = 'failed', error = ?, updated_at = ? WHERE pk = ? AND owner = ?`)
    .bind(reason.slice(0, 2000), nowIso(), pk, owner).run();
}
