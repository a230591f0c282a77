// Feeding the item partitions from committed D1 state (issue 14, stage 1). A sync reads the
// CURRENT records through store/items (the editor's read: overlays merged over parts) and
// upserts them in the partition of the slice's region × model version, 10k rows per call. It
// always reads what is current, so the order and the repetition of syncs do not matter, but for
// one thing: two syncs of an item in flight at once could reach the partition in the wrong
// order. So each read carries the slice's version read BEFORE its records (sliceVersion: it
// grows with every edit), and the partition keeps a row unless the new read's version is the
// same or newer. A record read after version V is at least as new as V; the last edit of an
// item (version v) is followed by a sync whose version is ≥ v, whose record is therefore the
// final one, and no sync with a higher version can hold an older record. Stored versions may
// lag the records they label, never lead them.
import type { Bindings } from '../../env.ts';
import { nowIso } from '../../lib/db.ts';
import { readItems } from '../items/editor.ts';
import type { StoredItem } from '../items/format.ts';
import { forEachSliceRecord, sliceVersion, sliceVersionSql } from '../items/slice-read.ts';
import { partitionRow, type PartitionRow } from './rows.ts';

/** A committed slice, as a sync needs it. */
export interface SyncSlice {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string; created_at: string; buckets: number;
}

const SLICE_COLUMNS = 's.pk, s.region, s.slice_id, s.model_id, s.model_version, s.created_at, s.buckets';
/** Committed slices: their items can be read (and take labels). */
const COMMITTED = `s.status IN ('complete', 'probing')`;

/** Rows per call to a partition (RPC costs ~2–3 ms: feed it thousands), and bytes per call. */
const ROWS_PER_CALL = 10_000;
const BYTES_PER_CALL = 8 << 20;

/** The partition of a region × model version (created on demand by its first call). */
export function partitionOf(env: Pick<Bindings, 'ITEM_PARTITIONS'>, region: string, modelId: string, version: string) {
  return env.ITEM_PARTITIONS.get(env.ITEM_PARTITIONS.idFromName(`${region}\u0000${modelId}\u0000${version}`));
}

export async function committedSlice(d1: D1Database, region: string, sliceId: string): Promise<SyncSlice | null> {
  return d1.prepare(`SELECT ${SLICE_COLUMNS} FROM slices s WHERE s.region = ? AND s.slice_id = ? AND ${COMMITTED}`)
    .bind(region, sliceId).first<SyncSlice>();
}

/** Buffers rows and sends them to the partition in calls of ROWS_PER_CALL / BYTES_PER_CALL. */
function feeder(env: Bindings, slice: SyncSlice) {
  const stub = partitionOf(env, slice.region, slice.model_id, slice.model_version);
  let rows: PartitionRow[] = [];
  let bytes = 0;
  let sent = 0;
  const flush = async () => {
    if (!rows.length) return;
    const batch = rows;
    rows = [];
    bytes = 0;
    sent += await stub.upsert(batch);
  };
  return {
    async add(recs: Iterable<StoredItem>, ver: number) {
      for (const rec of recs) {
        const row = partitionRow(slice, rec, ver);
        rows.push(row);
        bytes += row.record.length + 200;
        if (rows.length >= ROWS_PER_CALL || bytes >= BYTES_PER_CALL) await flush();
      }
    },
    async end() { await flush(); return sent; },
  };
}

/** Syncs every item of the slice and moves its watermark; returns the items synced. */
export async function syncSlice(env: Bindings, slice: SyncSlice): Promise<number> {
  const ver = await sliceVersion(env.DB, slice.pk); // before the records (file comment)
  const feed = feeder(env, slice);
  await forEachSliceRecord(env.DB, slice, (recs) => feed.add(recs, ver));
  const items = await feed.end();
  await env.DB.prepare(`INSERT INTO partition_sync (region, slice_id, slice_pk, synced_at, items, version) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (region, slice_id) DO UPDATE SET slice_pk = excluded.slice_pk, synced_at = excluded.synced_at, items = excluded.items,
        version = excluded.version WHERE excluded.version >= partition_sync.version OR excluded.slice_pk <> partition_sync.slice_pk`)
    .bind(slice.region, slice.slice_id, slice.pk, nowIso(), items, ver).run();
  return items;
}

/**
 * Syncs the given items of the slice and their live neighbours as stored (a label or score
 * change of a segment re-evaluates TMP.FLIP of segments n−1 and n+1: neighbours.ts). The
 * watermark stays: the slice as a whole is confirmed by the next syncSlice (syncStale).
 */
export async function syncItems(env: Bindings, slice: SyncSlice, itemIds: Iterable<string>): Promise<number> {
  const ver = await sliceVersion(env.DB, slice.pk); // before the records (file comment)
  const recs = await readItems(env.DB, slice, itemIds);
  const neighbours = new Set<string>();
  for (const rec of recs.values()) for (const id of [...(rec.s?.p ?? []), ...(rec.s?.x ?? [])]) if (!recs.has(id)) neighbours.add(id);
  if (neighbours.size) for (const [id, rec] of await readItems(env.DB, slice, neighbours)) recs.set(id, rec);
  const feed = feeder(env, slice);
  await feed.add(recs.values(), ver);
  return feed.end();
}

export interface StaleSync { slices: number; items: number; failed: number; remaining: number }

/**
 * The migration and the cron's catch-up: syncs, oldest first, committed slices without a
 * watermark or edited since theirs (version moved on), until `maxItems` items are synced (at
 * least one slice per call; `remaining` counts at most 1,000). Resumable and idempotent: a sync
 * cut short leaves its watermark unwritten (or behind), so the slice is simply synced again.
 */
export async function syncStale(env: Bindings, maxItems: number): Promise<StaleSync> {
  const { results } = await env.DB.prepare(`SELECT ${SLICE_COLUMNS}, s.items FROM slices s
      LEFT JOIN partition_sync p ON p.region = s.region AND p.slice_id = s.slice_id
      WHERE ${COMMITTED} AND (p.slice_pk IS NULL OR p.slice_pk <> s.pk OR p.version < ${sliceVersionSql('s.pk')})
      ORDER BY s.pk LIMIT 1000`).all<SyncSlice & { items: number }>();
  let items = 0;
  let slices = 0;
  let failed = 0;
  for (const s of results) {
    if (slices + failed > 0 && items + s.items > maxItems) break;
    // One slice failing (its watermark stays behind: the next run retries it) stops no other.
    try {
      items += await syncSlice(env, s);
      slices++;
    } catch (e) {
      failed++;
      console.error(`partition sync of ${s.region}/${s.slice_id} failed (retried next run): ${(e as Error).message}`);
    }
  }
  return { slices, items, failed, remaining: results.length - slices };
}

/**
 * Committed slices of a region × version not yet copied into its partition (no watermark for
 * their current pk): until they are, the partition's totals leave their items out. Edits to
 * items already copied follow within moments too, but are not counted here (that needs each
 * slice's version, a read of every part).
 */
export async function slicesNotCopied(d1: D1Database, region: string, modelId: string, version: string): Promise<number> {
  const r = await d1.prepare(`SELECT COUNT(*) AS n FROM slices s LEFT JOIN partition_sync p ON p.region = s.region AND p.slice_id = s.slice_id AND p.slice_pk = s.pk
    WHERE s.region = ? AND s.model_id = ? AND s.model_version = ? AND ${COMMITTED} AND p.slice_pk IS NULL`).bind(region, modelId, version).first<{ n: number }>();
  return r?.n ?? 0;
}
