// Claims a slice for processing. The unique (region, slice_id) row is the lock: whoever
// inserts it owns the slice; a retry of the same content gets the stored result, other
// content gets 409, and a stale or failed claim of the same content can be taken over.
import { conflict } from '../lib/errors.ts';
import { nowIso } from '../lib/db.ts';
import type { SliceHeader } from '../schemas/item.ts';

export const LEASE_MS = 10 * 60_000;

export interface SliceRow {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string; model_stage: string;
  content_hash: string | null; status: string; owner: string | null; error: string | null; buckets: number;
  items: number; failures: number; excluded: number; pending: number; by_signature: string;
  r2_key: string | null; created_at: string; updated_at: string;
}

export type Claim =
  | { kind: 'owned'; pk: number; owner: string; buckets: number }
  | { kind: 'done'; row: SliceRow }
  | { kind: 'busy'; row: SliceRow };

export async function getSlice(d1: D1Database, region: string, sliceId: string): Promise<SliceRow | null> {
  return d1.prepare('SELECT * FROM slices WHERE region = ? AND slice_id = ?').bind(region, sliceId).first<SliceRow>();
}

export async function claimSlice(
  d1: D1Database,
  args: { region: string; header: SliceHeader; hash: string; buckets: number; r2Key?: string },
): Promise<Claim> {
  const { region, header, hash, buckets } = args;
  const m = header.model;
  const known = await d1.prepare('SELECT stage FROM model_versions WHERE model_id = ? AND version = ?')
    .bind(m.id, m.version).first<{ stage: string }>();
  if (known && known.stage !== m.stage) {
    throw conflict(`model.stage: model ${m.id} version ${m.version} is registered with stage '${known.stage}', not '${m.stage}'`, { field: 'model.stage' });
  }
  const owner = crypto.randomUUID();
  const now = nowIso();
  const inserted = await d1.prepare(
    `INSERT INTO slices (region, slice_id, model_id, model_version, model_stage, content_hash, status, owner, buckets, r2_key, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'processing', ?, ?, ?, ?, ?) ON CONFLICT(region, slice_id) DO NOTHING RETURNING pk`,
  ).bind(region, header.slice_id, m.id, m.version, m.stage, hash, owner, buckets, args.r2Key ?? null, now, now).first<{ pk: number }>();
  if (inserted) return { kind: 'owned', pk: inserted.pk, owner, buckets };

  const row = (await getSlice(d1, region, header.slice_id))!;
  if (row.content_hash !== hash) {
    throw conflict(`slice_id '${header.slice_id}' was already submitted in ${region} with other content`, { field: 'slice_id' });
  }
  if (row.status === 'complete' || row.status === 'probing') return { kind: 'done', row };
  const stale = Date.parse(row.updated_at) < Date.now() - LEASE_MS;
  if (row.status === 'failed' || stale) {
    const took = await d1.prepare(
      `UPDATE slices SET owner = ?, status = 'processing', error = NULL, r2_key = ?, updated_at = ?
       WHERE pk = ? AND status = ? AND owner IS ? AND updated_at = ?`,
    ).bind(owner, args.r2Key ?? row.r2_key, now, row.pk, row.status, row.owner, row.updated_at).run();
    if (took.meta.changes === 1) return { kind: 'owned', pk: row.pk, owner, buckets: row.buckets };
  }
  return { kind: 'busy', row };
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
