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
}

/** Reads the buckets of the edited items, applies the editors, and returns the statements. */
export async function planSliceEdit(d1: D1Database, slice: SliceRef, editors: Map<string, Editor>): Promise<SliceEdit> {
  const buckets = new Set<number>();
  for (const id of editors.keys()) buckets.add(bucketOf(id, slice.buckets));
  const rows = await readBuckets(d1, slice.pk, buckets);
  const delta = new AggregateDelta();
  const found = new Set<string>();
  const statements: D1PreparedStatement[] = [];
  let changed = 0;
  let rediagnosed = 0;
  for (const row of rows) {
    let dirty = false;
    for (let k = 0; k < row.parts.length; k++) {
      const rec = row.parts[k];
      const edit = editors.get(rec.i.item_id);
      if (!edit) continue;
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
    if (dirty) statements.push(...rewritePartStatements(d1, slice.pk, row));
  }
  statements.push(...countersStatements(d1, slice, delta));
  return { statements, found, changed, rediagnosed, delta };
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
