// Feeding the item partitions from committed D1 state (issue 14, stage 1): records read here
// through store/items (the editor's read: overlays merged over parts), or records a D1 batch has
// just committed (a label delivery's group: syncWritten, no read), upserted in the partition of
// the slice's region × model version, 10k rows per call. Order and repetition do not matter:
// each row carries its item's version (rows.ts itemVersion: the rev of the very D1 row the record
// was read from or written to, so exact), which only grows with the item's edits, and the
// partition replaces a row only with the same or a newer version. Whatever order two writes of
// an item arrive in, the row ends with the newer record; the last edit's record is written (or
// read) with the highest version, so it is what stays. The slice's version (sliceVersion, the
// sum of its revs, read before its records) is only the watermark of a whole-slice sync
// (partition_sync.version, which syncStale compares).
import type { Bindings } from '../../env.ts';
import { chunk, nowIso } from '../../lib/db.ts';
import { readRecords, type WrittenRecord } from '../items/editor.ts';
import { forEachSliceRecord, sliceVersionSql, type RevisedRecord } from '../items/slice-read.ts';
import { itemVersion, partitionRow, type PartitionRow } from './rows.ts';
import { requestItemSync } from './messages.ts';
import { partitionOf } from './stub.ts';

export { partitionOf };

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
    async add(recs: Iterable<RevisedRecord>) {
      for (const r of recs) {
        const row = partitionRow(slice, r.rec, itemVersion(r.orev, r.prev));
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
  // Before the records: the watermark may lag them, never lead (syncStale syncs again). With
  // the eviction count: a watermark read before an eviction (evict.ts) is not written after it.
  const before = await env.DB.prepare(`SELECT ${sliceVersionSql('?1')} AS v,
      (SELECT evictions FROM partition_sync WHERE region = ?2 AND slice_id = ?3 AND slice_pk = ?1) AS e`)
    .bind(slice.pk, slice.region, slice.slice_id).first<{ v: number; e: number | null }>();
  const feed = feeder(env, slice);
  await forEachSliceRecord(env.DB, slice, (recs) => feed.add(recs));
  const items = await feed.end();
  await env.DB.prepare(`INSERT INTO partition_sync (region, slice_id, slice_pk, synced_at, items, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
      ON CONFLICT (region, slice_id) DO UPDATE SET slice_pk = excluded.slice_pk, synced_at = excluded.synced_at, items = excluded.items,
        version = excluded.version, evictions = CASE WHEN excluded.slice_pk <> partition_sync.slice_pk THEN 0 ELSE partition_sync.evictions END
      WHERE (excluded.version >= partition_sync.version AND partition_sync.evictions = ?7) OR excluded.slice_pk <> partition_sync.slice_pk`)
    .bind(slice.region, slice.slice_id, slice.pk, nowIso(), items, before?.v ?? 0, before?.e ?? 0).run();
  return items;
}

/**
 * Syncs the given items of the slice and their live neighbours as stored (a label or score
 * change of a segment re-evaluates TMP.FLIP of segments n−1 and n+1: neighbours.ts). The
 * watermark stays: the slice as a whole is confirmed by the next syncSlice (syncStale).
 */
export async function syncItems(env: Bindings, slice: SyncSlice, itemIds: Iterable<string>): Promise<number> {
  const { locs } = await readRecords(env, slice, itemIds, false);
  const neighbours = new Set<string>();
  for (const { rec } of locs.values()) for (const id of [...(rec.s?.p ?? []), ...(rec.s?.x ?? [])]) if (!locs.has(id)) neighbours.add(id);
  if (neighbours.size) for (const [id, loc] of (await readRecords(env, slice, neighbours, false)).locs) locs.set(id, loc);
  const feed = feeder(env, slice);
  await feed.add(locs.values());
  return feed.end();
}

/**
 * Writes records a D1 batch has just committed (with their live neighbours that it rewrote) into
 * their partitions: one upsert per partition, each row with the version its item has now — no
 * D1 read. Called off the response path. A partition whose call fails gets a sync message for
 * its items instead (the consumer reads them again; a lost message is caught up by syncStale).
 */
export async function syncWritten(env: Bindings, written: readonly WrittenRecord[]): Promise<void> {
  const byPartition = new Map<string, Map<string, { w: WrittenRecord; ver: number }>>();
  for (const w of written) {
    const s = w.slice;
    const k = `${s.region}\u0000${s.model_id}\u0000${s.model_version}`;
    let rows = byPartition.get(k);
    if (!rows) byPartition.set(k, (rows = new Map()));
    // An item written twice (deliveries applied one by one) goes once, as its newer write.
    const id = `${s.slice_id}\u0000${w.rec.i.item_id}`;
    const ver = itemVersion(w.orev, w.prev);
    if ((rows.get(id)?.ver ?? -1) < ver) rows.set(id, { w, ver });
  }
  await Promise.all([...byPartition.values()].map(async (rows) => {
    const all = [...rows.values()];
    const s = all[0].w.slice;
    try {
      for (const part of chunk(all, ROWS_PER_CALL)) {
        await partitionOf(env, s.region, s.model_id, s.model_version).upsert(part.map(({ w, ver }) => partitionRow(w.slice, w.rec, ver)));
      }
    } catch (e) {
      console.error(`partition write of ${all.length} items failed (sync requested): ${(e as Error).message}`);
      await requestItemSync(env, all.map(({ w }) => ({ region: w.slice.region, slice_id: w.slice.slice_id, item_id: w.rec.i.item_id })));
    }
  }));
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
