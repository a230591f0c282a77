// Editing stored items after ingest (label events, consensus, GPU backend results): read the
// items' current records (item overlays merged over the parts), edit them, re-diagnose, and
// build the statements that write them back (overlay rows, or rewritten parts for bulk edits;
// revision-guarded) and move every counter the items touch — aggregates, slice_aggregates and
// the slice's summary — by (new − old). The caller runs them in ONE D1 batch; a concurrent
// rewrite aborts the batch (nothing applied) and the caller re-reads and retries.
import { diagnoseItem } from '../../../taxonomy/diagnose.ts';
import { posteriorOfLabel } from '../../../taxonomy/labels.ts';
import type { EvalItem } from '../../../taxonomy/types.ts';
import { bucketOf, rewritePartStatements } from './writer.ts';
import { parseRecords, partNeedles, partText, type StoredItem } from './format.ts';
import { cacheGet, cachePut, type ItemLoc } from './cache.ts';
import type { AggregateDelta } from '../counters.ts';
import { guardSql, raiseSql } from '../guards.ts';
import { chunk, jsonRows } from '../../lib/db.ts';
import { readFromPartition } from '../partition/read.ts';
import type { ItemStore } from '../partition/stub.ts';

export type { ItemStore } from '../partition/stub.ts';

export interface SliceRef {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string; status: string; buckets: number;
  /** Fixed per slice: the item partitions order by it (store/partition/rows.ts). */
  created_at: string;
}

/** A record a D1 batch has just committed, with the revs its row has now: its overlay row's
 *  (`orev` ≥ 1), else 0 and its rewritten part's (`prev`). What the item partitions are fed
 *  from without reading D1 again (store/partition/sync.ts syncWritten). */
export interface WrittenRecord { slice: SliceRef; rec: StoredItem; orev: number; prev: number }

export const sliceKey = (region: string, sliceId: string) => `${region}\u0000${sliceId}`;

// Slices that are complete or probing never change pk, buckets or model: cached per isolate.
const SLICE_CACHE_MS = 60_000;
const sliceCache = new Map<string, { at: number; ref: SliceRef }>();

/** The slices among `keys` whose items can take labels now (status complete or probing). */
export async function findSlices(d1: D1Database, keys: Iterable<{ region: string; slice_id: string }>): Promise<Map<string, SliceRef>> {
  const out = new Map<string, SliceRef>();
  const missing: Array<{ region: string; slice_id: string }> = [];
  const now = Date.now();
  for (const k of keys) {
    const key = sliceKey(k.region, k.slice_id);
    if (out.has(key) || missing.some((m) => m.region === k.region && m.slice_id === k.slice_id)) continue;
    const hit = sliceCache.get(key);
    if (hit && now - hit.at < SLICE_CACHE_MS) out.set(key, hit.ref);
    else missing.push(k);
  }
  for (const part of chunk(missing, 45)) {
    const { results } = await d1.prepare(
      `SELECT pk, region, slice_id, model_id, model_version, status, buckets, created_at FROM slices
       WHERE status IN ('complete', 'probing') AND (${part.map(() => '(region = ? AND slice_id = ?)').join(' OR ')})`,
    ).bind(...part.flatMap((k) => [k.region, k.slice_id])).all<SliceRef>();
    for (const r of results) {
      const key = sliceKey(r.region, r.slice_id);
      out.set(key, r);
      sliceCache.set(key, { at: now, ref: r });
    }
  }
  if (sliceCache.size > 10_000) sliceCache.clear();
  return out;
}

export interface PartRow { bucket: number; part: number; rev: number; parts: StoredItem[] }


/** A stored record with a new item (and consensus P(violating) `c`), diagnosed again. */
export function rediagnose(rec: StoredItem, item: EvalItem, c: number | undefined): StoredItem {
  const d = diagnoseItem(item, { threshold: rec.t, neighbours: rec.n, consensusPosterior: posteriorOfLabel(item, c) });
  return { d, t: rec.t, ...(rec.n ? { n: rec.n } : {}), ...(rec.s ? { s: rec.s } : {}), ...(c !== undefined ? { c } : {}), i: item };
}

/** Returns the new record, or null when the item is unchanged. */
export type Editor = (rec: StoredItem) => StoredItem | null;

// ---------------------------------------------------------------------------------------------
// Where an item's current record is. An item whose label changed after ingest has a row in
// item_overlays (its whole record, ~1 KB) that shadows its copy in the 16 KB part: a label event
// rewrites that small row, never the part. Writers guard what they read:
// - a record from the overlay: the upsert applies only if the row still has the rev read;
// - a record from a part: the overlay row must still be absent (the upsert expects rev 0) and
//   the part must still have the rev read (a part rewrite — GPU backend, consensus — may have
//   changed the item);
// - a part rewrite (planSliceEdit, slice-edit.ts): the part's rev, and no overlay row for the items it edits.
// - a record from the item partition (its slice's parts were evicted: partition/evict.ts): the
//   overlay row must still have the rev the partition's version encodes (0: still absent).
// A failed guard aborts the whole D1 batch; the caller re-reads and retries.
//
// An evicted item is read from its partition, whose version is exact once the slice's every edit
// is copied (eviction's precondition); what D1 no longer holds is no longer in any guard, so no
// read a write relies on may be older than the quiet period before eviction: the item cache
// forgets after ITEM_CACHE_TTL_MS (cache.ts), well under EVICT_QUIET_MS (evict.ts).

export type { ItemLoc } from './cache.ts';

export interface ReadResult {
  /** item_id → where its current record is (items not stored are absent). */
  locs: Map<string, ItemLoc>;
  /** The parts read from D1 (records as stored in the part, not merged with overlays). */
  rows: PartRow[];
}

/** An id is looked up by `instr` over the part text (no JSON parsing in SQL) up to this many
 *  ids; more, and whole buckets are read (a few queries beat many instr scans). */
const WHOLE_BUCKETS_ABOVE = 90;

type OverlayRow = { bucket: number; item_id: string; rev: number; data: string };
type ChunkRow = { bucket: number; part: number; rev: number; data: string };

/** The overlay rows and the parts of some buckets of a slice (two statements: run them in one batch). */
export const bucketsSelect = (d1: D1Database, slicePk: number, buckets: number[]) => [
  d1.prepare(`SELECT bucket, item_id, rev, data FROM item_overlays WHERE slice_pk = ? AND bucket IN (${buckets.map(() => '?').join(',')})`).bind(slicePk, ...buckets),
  d1.prepare(`SELECT bucket, part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket IN (${buckets.map(() => '?').join(',')}) ORDER BY bucket, part`).bind(slicePk, ...buckets),
];

/**
 * The current records of the given items of a slice: the overlay rows, and the parts holding
 * the others — SQLite picks the parts whose text contains the item id as a JSON string (an id
 * not found that way, not stored or written with other JSON escapes, falls back to reading its
 * whole bucket, so the result is exact). Overlays and parts are read in one batch (one
 * snapshot). With `useCache`, cached locations are used and what is read is cached.
 */
export async function readRecords(store: ItemStore, slice: ItemSlice, itemIds: Iterable<string>, useCache = true): Promise<ReadResult> {
  const d1 = store.DB;
  const locs = new Map<string, ItemLoc>();
  const rows: PartRow[] = [];
  let missing: string[] = [];
  for (const id of new Set(itemIds)) {
    const c = useCache ? cacheGet(slice.pk, id) : undefined;
    if (c) locs.set(id, c); else missing.push(id);
  }
  const wanted = new Set(missing);
  const take = (overlays: OverlayRow[], chunks: ChunkRow[]) => {
    for (const o of overlays) {
      if (!wanted.has(o.item_id) || locs.has(o.item_id)) continue;
      const loc: ItemLoc = { rec: JSON.parse(o.data) as StoredItem, orev: o.rev, bucket: o.bucket, part: -1, prev: -1 };
      locs.set(o.item_id, loc);
      if (useCache) cachePut(slice.pk, o.item_id, loc, o.data.length);
    }
    for (const r of chunks) {
      const row: PartRow = { bucket: r.bucket, part: r.part, rev: r.rev, parts: parseRecords(r.data) };
      rows.push(row);
      const bytes = Math.ceil(r.data.length / Math.max(1, row.parts.length));
      for (const rec of row.parts) {
        const id = rec.i.item_id;
        const loc: ItemLoc = { rec, orev: 0, bucket: r.bucket, part: r.part, prev: r.rev };
        if (wanted.has(id)) {
          if (locs.has(id)) continue; // its overlay shadows this copy
          locs.set(id, loc);
          if (useCache) cachePut(slice.pk, id, loc, bytes);
        } else if (useCache) cachePut(slice.pk, id, loc, bytes, true);
      }
    }
  };
  const bucketOfId = (id: string) => bucketOf(id, slice.buckets);
  const whole = new Set<number>();
  if (missing.length > WHOLE_BUCKETS_ABOVE) for (const id of missing) whole.add(bucketOfId(id));
  else if (missing.length) {
    // Per bucket, so that each id is searched for only in its own bucket's parts.
    const byBucket = new Map<number, string[]>();
    for (const id of missing) {
      const b = bucketOfId(id);
      const ids = byBucket.get(b);
      if (ids) ids.push(id); else byBucket.set(b, [id]);
    }
    const stmts: D1PreparedStatement[] = [];
    for (const [bucket, ids] of byBucket) {
      for (const part of chunk(ids, 45)) {
        const qs = part.map(() => '?').join(',');
        stmts.push(
          d1.prepare(`SELECT bucket, item_id, rev, data FROM item_overlays WHERE slice_pk = ? AND bucket = ? AND item_id IN (${qs})`).bind(slice.pk, bucket, ...part),
          d1.prepare(`SELECT bucket, part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket = ? AND (${part.map(() => 'instr(data, ?) > 0 OR instr(data, ?) > 0').join(' OR ')})`)
            .bind(slice.pk, bucket, ...part.flatMap(partNeedles)),
        );
      }
    }
    const res = await d1.batch(stmts);
    for (let i = 0; i < res.length; i += 2) take(res[i].results as OverlayRow[], res[i + 1].results as ChunkRow[]);
    missing = missing.filter((id) => !locs.has(id));
    for (const id of missing) whole.add(bucketOfId(id));
    // Buckets read again whole: drop what the first read found there (one copy of each part,
    // and every record from the same snapshot as the part that will be rewritten).
    if (whole.size) {
      for (let i = rows.length - 1; i >= 0; i--) if (whole.has(rows[i].bucket)) rows.splice(i, 1);
      for (const [id, loc] of locs) if (wanted.has(id) && whole.has(loc.bucket)) locs.delete(id);
    }
  }
  if (whole.size) {
    const stmts = chunk([...whole].sort((a, b) => a - b), 98).flatMap((bs) => bucketsSelect(d1, slice.pk, bs));
    const res = await d1.batch(stmts);
    for (let i = 0; i < res.length; i += 2) take(res[i].results as OverlayRow[], res[i + 1].results as ChunkRow[]);
  }
  // Not in D1: the slice's parts were evicted (or the id is not stored at all).
  const evicted = [...wanted].filter((id) => !locs.has(id));
  for (const [id, r] of await readFromPartition(store, slice, evicted)) {
    const loc: ItemLoc = { rec: r.rec, orev: r.orev, bucket: bucketOfId(id), part: -1, prev: -1 };
    locs.set(id, loc);
    if (useCache) cachePut(slice.pk, id, loc, r.bytes);
  }
  return { locs, rows };
}

/** What reading a slice's items needs: its D1 key and buckets, and its partition and place there. */
export type ItemSlice = Pick<SliceRef, 'pk' | 'buckets' | 'region' | 'slice_id' | 'model_id' | 'model_version' | 'created_at'>;

/** A location read from the item partition: no D1 row holds the item (part −1, overlay rev as its version says). */
export const inPartitionOnly = (loc: Pick<ItemLoc, 'orev' | 'part'>): boolean => loc.orev === 0 && loc.part < 0;

/** The current record of each given item that is stored (overlays merged). */
export async function readItems(store: ItemStore, slice: ItemSlice, itemIds: Iterable<string>): Promise<Map<string, StoredItem>> {
  const { locs } = await readRecords(store, slice, itemIds, false);
  return new Map([...locs].map(([id, l]) => [id, l.rec]));
}

/** One item's current record (the item GET route): its overlay row, else its copy in the part. */
export async function findCurrentItem(store: ItemStore, slice: ItemSlice, itemId: string): Promise<StoredItem | null> {
  return (await readItems(store, slice, [itemId])).get(itemId) ?? null;
}


// One statement, guards included: a row read from a part (part and prev given) is written only
// if that part still has the rev read; an existing row only if it still has the rev read (a
// row expected absent has rev 0 read). Otherwise json() of a non-JSON text raises, which aborts
// the batch ('stale-item', guards.ts). (A row expected present but gone would be inserted: overlay rows are never deleted.)
// The record is embedded in the row as a JSON value, not a string (no second escaping pass on
// either side of the binding); `->` returns its JSON text exactly as JSON.stringify wrote it
// (SQLite keeps the original text of a JSON subvalue).
const OVERLAYS_UPSERT = `INSERT INTO item_overlays (slice_pk, bucket, item_id, rev, data)
  SELECT ?1, j.value ->> 0, j.value ->> 1, j.value ->> 2,
    CASE WHEN j.value ->> 4 IS NULL OR (SELECT rev FROM item_chunks WHERE slice_pk = ?1 AND bucket = j.value ->> 0 AND part = j.value ->> 4) = j.value ->> 5
      THEN j.value -> 3 ELSE ${raiseSql('stale-item')} END
  FROM json_each(?2) AS j WHERE true
  ON CONFLICT (slice_pk, bucket, item_id) DO UPDATE SET rev = excluded.rev,
    data = CASE WHEN item_overlays.rev = excluded.rev - 1 THEN excluded.data ELSE ${raiseSql('stale-item')} END`;

export interface OverlayWrite {
  bucket: number; itemId: string;
  /** The overlay rev read (0: none, the record came from its part or its partition). */
  orev: number;
  /** orev 0: the part the record was read from, and its rev then (part < 0: from the partition, no part). */
  part?: number; prev?: number;
  rec: StoredItem;
}

/** Upserts overlay rows under the guards above; `sizes` gets each row's JSON length (≈ the record's). */
export function overlayStatements(d1: D1Database, slicePk: number, writes: readonly OverlayWrite[], sizes?: number[]): D1PreparedStatement[] {
  return jsonRows(writes.map((w) => [w.bucket, w.itemId, w.orev + 1, w.rec, ...(w.orev === 0 && (w.part ?? -1) >= 0 ? [w.part, w.prev] : [])]), sizes)
    .map((json) => d1.prepare(OVERLAYS_UPSERT).bind(slicePk, json));
}

const NO_OVERLAYS_GUARD = guardSql(`NOT EXISTS (SELECT 1 FROM json_each(?2) AS j JOIN item_overlays AS o
  ON o.slice_pk = ?1 AND o.bucket = j.value ->> 0 AND o.item_id = j.value ->> 1)`, 'stale-item');

/** Raises if any of the given items has an overlay row (one appeared since the read). */
export function noOverlayGuards(d1: D1Database, slicePk: number, items: readonly { bucket: number; itemId: string }[]): D1PreparedStatement[] {
  return items.length ? jsonRows(items.map((x) => [x.bucket, x.itemId])).map((json) => d1.prepare(NO_OVERLAYS_GUARD).bind(slicePk, json)) : [];
}

/** Moves `delta` by an item's change from `prev` to `next`. */
export function addChange(delta: AggregateDelta, prev: StoredItem, next: StoredItem): void {
  delta.addItem(prev.i.policy, prev.i, prev.d, -1);
  delta.addItem(next.i.policy, next.i, next.d, 1);
}

/**
 * rewritePartStatements (writer.ts) for several parts at once: one UPDATE per ≤ 19 parts
 * (CASE on bucket/part, numbered parameters) and one guard per UPDATE that raises unless every
 * part still had the revision read. Same semantics, two statements instead of two per part
 * (per-statement cost dominates small deliveries on D1).
 */
export function rewritePartsStatements(d1: D1Database, slicePk: number, rows: readonly Pick<PartRow, 'bucket' | 'part' | 'rev' | 'parts'>[]): D1PreparedStatement[] {
  if (rows.length === 1) return rewritePartStatements(d1, slicePk, rows[0]);
  const out: D1PreparedStatement[] = [];
  for (const group of chunk(rows, 19)) {
    const p = (i: number, k: number) => `?${1 + i * 5 + k}`; // k: 0 bucket, 1 part, 2 rev, 3 data, 4 n
    const at = (i: number) => `bucket = ${p(i, 0)} AND part = ${p(i, 1)}`;
    const last = 1 + group.length * 5;
    out.push(d1.prepare(
      `UPDATE item_chunks SET data = CASE ${group.map((_, i) => `WHEN ${at(i)} THEN ${p(i, 3)}`).join(' ')} END,
         n = CASE ${group.map((_, i) => `WHEN ${at(i)} THEN ${p(i, 4)}`).join(' ')} END, rev = rev + 1
       WHERE ${group.map((_, i) => `(slice_pk = ?${last} AND ${at(i)} AND rev = ${p(i, 2)})`).join(' OR ')}`,
    ).bind(...group.flatMap((r) => [r.bucket, r.part, r.rev, partText(r.parts), r.parts.length]), slicePk));
    out.push(d1.prepare(guardSql('changes() = ?', 'stale-item')).bind(group.length));
  }
  return out;
}
