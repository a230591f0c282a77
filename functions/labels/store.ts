// Editing stored items after ingest (label events, consensus): read the touched buckets, edit
// the records, re-diagnose, and build the statements that rewrite the parts (rev-guarded) and
// move every counter the items touch — aggregates, slice_aggregates and the slice's summary —
// by (new − old). The caller runs them in ONE D1 batch; a concurrent rewrite of a part aborts
// the batch (nothing applied) and the caller re-reads and retries.
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import { posteriorOfLabel } from '../../taxonomy/labels.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { bucketOf, rewritePartStatements, type StoredItem } from '../ingest/item-store.ts';
import { AggregateDelta, itemMetrics } from '../ingest/metrics.ts';
import { aggregateStatements } from '../ingest/commit.ts';
import { chunk, nowIso } from '../lib/db.ts';

export interface SliceRef {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string; status: string; buckets: number;
}

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
      `SELECT pk, region, slice_id, model_id, model_version, status, buckets FROM slices
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

/** Every part of the given buckets of a slice (one query per ~98 buckets). */
export async function readBuckets(d1: D1Database, slicePk: number, buckets: Iterable<number>): Promise<PartRow[]> {
  const out: PartRow[] = [];
  for (const part of chunk([...new Set(buckets)].sort((a, b) => a - b), 98)) {
    const { results } = await d1.prepare(
      `SELECT bucket, part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket IN (${part.map(() => '?').join(',')}) ORDER BY bucket, part`,
    ).bind(slicePk, ...part).all<{ bucket: number; part: number; rev: number; data: string }>();
    for (const r of results) out.push({ bucket: r.bucket, part: r.part, rev: r.rev, parts: JSON.parse(r.data) as StoredItem[] });
  }
  return out;
}

/** A stored record with a new item (and consensus P(violating) `c`), diagnosed again. */
export function rediagnose(rec: StoredItem, item: EvalItem, c: number | undefined): StoredItem {
  const d = diagnoseItem(item, { threshold: rec.t, neighbours: rec.n, consensusPosterior: posteriorOfLabel(item, c) });
  return { d, t: rec.t, ...(rec.n ? { n: rec.n } : {}), ...(c !== undefined ? { c } : {}), i: item };
}

/** Returns the new record, or null when the item is unchanged. */
export type Editor = (rec: StoredItem) => StoredItem | null;

export interface SliceEdit {
  statements: D1PreparedStatement[];
  /** Item ids found in the store (edited or not). */
  found: Set<string>;
  changed: number;
  /** Items whose outcome / primary / excluded changed. */
  rediagnosed: number;
  delta: AggregateDelta;
  /** Call after the batch with `statements` committed / failed (keeps the part cache true). */
  committed(): void;
  failed(): void;
}

// ---------------------------------------------------------------------------------------------
// A per-isolate cache of item parts (parsed, with the revision read), so a delivery on items
// seen before needs no D1 read: one round trip (the batch) instead of two. It never decides
// anything on its own — every rewrite carries the revision its content came from and the guard
// aborts the batch if the part moved on (another isolate, the consensus run, the GPU backend);
// the caller then evicts, re-reads from D1 and retries. Parts of complete/probing slices only
// (no ingest rewrites them any more). Bounded by the JSON size of the parts held.

interface CachedPart { bucket: number; part: number; rev: number; parts: StoredItem[]; bytes: number; itemKeys: string[] }
const PART_CACHE_BYTES = 8 * 1024 * 1024;
const partCache = new Map<string, CachedPart>(); // insertion order = LRU order
const partOfItem = new Map<string, CachedPart>(); // `${slicePk}:${item_id}` → its part
let partCacheBytes = 0;
const partKey = (slicePk: number, bucket: number, part: number) => `${slicePk}:${bucket}:${part}`;

function cacheEvict(key: string): void {
  const c = partCache.get(key);
  if (!c) return;
  partCache.delete(key);
  partCacheBytes -= c.bytes;
  for (const k of c.itemKeys) partOfItem.delete(k);
}

/** Caches a part as D1 holds it now. A part's items never move, so an update keeps the index. */
function cachePut(slicePk: number, row: PartRow, bytes: number): void {
  const key = partKey(slicePk, row.bucket, row.part);
  const held = partCache.get(key);
  if (held && held.parts.length === row.parts.length) {
    held.rev = row.rev;
    held.parts = row.parts;
    partCache.delete(key);
    partCache.set(key, held);
    return;
  }
  cacheEvict(key);
  const c: CachedPart = { bucket: row.bucket, part: row.part, rev: row.rev, parts: row.parts, bytes, itemKeys: row.parts.map((r) => `${slicePk}:${r.i.item_id}`) };
  partCache.set(key, c);
  partCacheBytes += bytes;
  for (const k of c.itemKeys) partOfItem.set(k, c);
  while (partCacheBytes > PART_CACHE_BYTES && partCache.size > 1) cacheEvict(partCache.keys().next().value!);
}

/** Test hook: forget every cached part. */
export function clearPartCache(): void {
  partCache.clear();
  partOfItem.clear();
  partCacheBytes = 0;
}

/**
 * The parts holding the given items. A bucket has several parts; rather than reading (and
 * parsing) all of them, SQLite picks the parts whose text contains the item id as a JSON string
 * (`instr`, no JSON parsing in SQL). An id not found that way (not stored, or written with
 * other JSON escapes in the submitted text) falls back to reading its whole bucket, so the
 * result is exact.
 */
const WHOLE_BUCKETS_ABOVE = 90;

export async function readItemParts(d1: D1Database, slice: Pick<SliceRef, 'pk' | 'buckets'>, itemIds: readonly string[], useCache = true): Promise<PartRow[]> {
  const out: PartRow[] = [];
  const seen = new Set<string>();
  // Rows handed out are copies (the caller edits them); the cache keeps what D1 holds.
  const add = (rows: PartRow[], fromD1: boolean, bytes?: number[]) => {
    rows.forEach((r, i) => {
      const k = `${r.bucket}:${r.part}`;
      if (seen.has(k)) return;
      seen.add(k);
      if (fromD1 && useCache) cachePut(slice.pk, r, bytes![i]);
      out.push({ ...r, parts: [...r.parts] });
    });
  };
  const uncached: string[] = [];
  for (const id of itemIds) {
    const c = useCache ? partOfItem.get(`${slice.pk}:${id}`) : undefined;
    if (!c) { uncached.push(id); continue; }
    add([{ bucket: c.bucket, part: c.part, rev: c.rev, parts: c.parts }], false);
  }
  itemIds = uncached;
  const whole = new Set<number>();
  // Many items: whole buckets in a few queries beat many instr scans over the same parts.
  if (itemIds.length > WHOLE_BUCKETS_ABOVE) for (const id of itemIds) whole.add(bucketOf(id, slice.buckets));
  for (const part of itemIds.length > WHOLE_BUCKETS_ABOVE ? [] : chunk(itemIds, 45)) {
    const buckets = [...new Set(part.map((id) => bucketOf(id, slice.buckets)))];
    const { results } = await d1.prepare(
      `SELECT bucket, part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket IN (${buckets.map(() => '?').join(',')})
       AND (${part.map(() => 'instr(data, ?) > 0').join(' OR ')}) ORDER BY bucket, part`,
    ).bind(slice.pk, ...buckets, ...part.map((id) => JSON.stringify(id))).all<{ bucket: number; part: number; rev: number; data: string }>();
    add(results.map((r) => ({ bucket: r.bucket, part: r.part, rev: r.rev, parts: JSON.parse(r.data) as StoredItem[] })), true, results.map((r) => r.data.length));
  }
  const found = new Set<string>();
  for (const r of out) for (const rec of r.parts) found.add(rec.i.item_id);
  for (const id of itemIds) if (!found.has(id)) whole.add(bucketOf(id, slice.buckets));
  if (whole.size) {
    const rows = await readBuckets(d1, slice.pk, whole);
    add(rows, true, rows.map((r) => 16 * 1024));
  }
  return out;
}

/** Reads the parts of the edited items, applies the editors, and returns the statements. */
export async function planSliceEdit(d1: D1Database, slice: SliceRef, editors: Map<string, Editor>, useCache = true): Promise<SliceEdit> {
  const rows = await readItemParts(d1, slice, [...editors.keys()], useCache);
  const delta = new AggregateDelta();
  const found = new Set<string>();
  const statements: D1PreparedStatement[] = [];
  const dirtyRows: PartRow[] = [];
  let changed = 0;
  let rediagnosed = 0;
  for (const row of rows) {
    let dirty = false;
    for (let k = 0; k < row.parts.length; k++) {
      const rec = row.parts[k];
      const edit = editors.get(rec.i.item_id);
      if (!edit || found.has(rec.i.item_id)) continue;
      found.add(rec.i.item_id);
      const next = edit(rec);
      if (!next) continue;
      row.parts[k] = next;
      dirty = true;
      changed++;
      if (next.d.outcome !== rec.d.outcome || next.d.primary !== rec.d.primary || next.d.excluded !== rec.d.excluded) rediagnosed++;
      delta.add(rec.i.policy, itemMetrics(rec.i, rec.d), -1);
      delta.add(next.i.policy, itemMetrics(next.i, next.d), 1);
    }
    if (dirty) dirtyRows.push(row);
  }
  statements.push(...rewritePartsStatements(d1, slice.pk, dirtyRows));
  statements.push(...countersStatements(d1, slice, delta));
  return {
    statements, found, changed, rediagnosed, delta,
    committed() {
      for (const r of dirtyRows) {
        const key = partKey(slice.pk, r.bucket, r.part);
        if (useCache) cachePut(slice.pk, { ...r, rev: r.rev + 1 }, partCache.get(key)?.bytes ?? 16 * 1024);
        else cacheEvict(key);
      }
    },
    failed() {
      for (const r of rows) cacheEvict(partKey(slice.pk, r.bucket, r.part));
    },
  };
}

/**
 * rewritePartStatements (item-store.ts) for several parts at once: one UPDATE per ≤ 19 parts
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
    ).bind(...group.flatMap((r) => [r.bucket, r.part, r.rev, JSON.stringify(r.parts), r.parts.length]), slicePk));
    out.push(d1.prepare(`SELECT json(CASE WHEN changes() = ? THEN '1' ELSE 'concurrent update of an item part' END) AS guard`).bind(group.length));
  }
  return out;
}

const SLICE_AGG_ROWS = 25; // 4 columns
const SIGS_PER_UPDATE = 30; // 3 parameters each

/** aggregates, slice_aggregates and the slices row's summary, moved by `delta`. */
export function countersStatements(d1: D1Database, slice: SliceRef, delta: AggregateDelta): D1PreparedStatement[] {
  const rows = delta.rows();
  if (rows.length === 0) return [];
  const out = aggregateStatements(d1, { region: slice.region, modelId: slice.model_id, modelVersion: slice.model_version }, delta);
  for (const part of chunk(rows, SLICE_AGG_ROWS)) {
    out.push(d1.prepare(
      `INSERT INTO slice_aggregates (slice_pk, policy, metric, value) VALUES ${part.map(() => '(?,?,?,?)').join(',')}
       ON CONFLICT (slice_pk, policy, metric) DO UPDATE SET value = value + excluded.value`,
    ).bind(...part.flatMap((r) => [slice.pk, r.policy, r.metric, r.value])));
  }
  // The summary: counters by arithmetic in SQL and by_signature by json_set on the stored
  // JSON (never read-modify-write in JS: concurrent deliveries on other parts of the slice
  // touch the same row). Zero entries are dropped and keys kept sorted, as at ingest.
  const sigs = Object.entries(delta.totals('sig:'));
  const groups = sigs.length ? chunk(sigs, SIGS_PER_UPDATE) : [[]];
  groups.forEach((group, gi) => {
    const params: unknown[] = [];
    let counters = '';
    if (gi === 0) {
      counters = 'items = items + CAST(? AS INTEGER), failures = failures + CAST(? AS INTEGER), '
        + 'excluded = excluded + CAST(? AS INTEGER), pending = pending + CAST(? AS INTEGER), ';
      params.push(delta.sum('items'), delta.sum('failures'), delta.sum('excluded'), delta.sum('pending'));
    }
    params.push(nowIso());
    let json = 'by_signature';
    if (group.length) {
      json = `json_set(by_signature, ${group.map(() => `'$."' || ? || '"', coalesce(json_extract(by_signature, '$."' || ? || '"'), 0) + CAST(? AS INTEGER)`).join(', ')})`;
      for (const [code, v] of group) params.push(code, code, v);
    }
    params.push(slice.pk);
    out.push(d1.prepare(
      `UPDATE slices SET ${counters}updated_at = ?,
         by_signature = (SELECT coalesce(json_group_object(key, value), '{}') FROM
           (SELECT key, value FROM json_each(${json}) WHERE value <> 0 ORDER BY key))
       WHERE pk = ?`,
    ).bind(...params));
  });
  return out;
}

/** True for the error a rev guard raises when another writer rewrote the part first. */
export function isConcurrentUpdate(e: unknown): boolean {
  return /concurrent update of an item part|malformed JSON/i.test(String((e as Error)?.message ?? e));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
