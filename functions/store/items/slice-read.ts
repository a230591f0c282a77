// Reading a whole slice's current records (overlays merged over the parts), a group of buckets
// per D1 batch, each with the revs of the row it was read from, and the slice's item version —
// what the item partitions are fed from (functions/store/partition/sync.ts).
import type { StoredItem } from './format.ts';
import { parseRecords } from './format.ts';
import { bucketsSelect } from './editor.ts';
import type { ItemLoc } from './cache.ts';

/** A current record and the rev of the row it was read from: its overlay row's (`orev` ≥ 1),
 *  else 0 and its part's (`prev`). */
export type RevisedRecord = Pick<ItemLoc, 'rec' | 'orev' | 'prev'>;

/** Buckets per read: ~64 KB each (writer.ts), so a few MB per batch. */
const BUCKETS_PER_READ = 48;

/**
 * The slice's version: the sum of its parts' and overlay rows' revs. Every edit raises a rev
 * (a part rewrite bumps it, an overlay row starts at 1 and is bumped by each rewrite, neither
 * is deleted once the slice is committed but by eviction, which resets the watermark it is
 * compared with in the same batch: partition/evict.ts), so between evictions the sum only
 * grows, and grows with each edit.
 */
export async function sliceVersion(d1: D1Database, slicePk: number): Promise<number> {
  const r = await d1.prepare(`SELECT ${sliceVersionSql('?1')} AS v`).bind(slicePk).first<{ v: number }>();
  return r?.v ?? 0;
}

/** sliceVersion as an SQL expression of the slice's pk (`pk`: an SQL expression). */
export const sliceVersionSql = (pk: string) => `((SELECT coalesce(sum(rev), 0) FROM item_chunks WHERE slice_pk = ${pk})
  + (SELECT coalesce(sum(rev), 0) FROM item_overlays WHERE slice_pk = ${pk}))`;

/** Calls `onRecords` with every current record of the slice and its revs, bucket group by
 *  bucket group (each group read in one batch: its overlays and parts from one snapshot). */
export async function forEachSliceRecord(
  d1: D1Database, slice: { pk: number; buckets: number }, onRecords: (recs: RevisedRecord[]) => Promise<void>,
): Promise<void> {
  for (let b = 0; b < slice.buckets; b += BUCKETS_PER_READ) {
    const group = Array.from({ length: Math.min(BUCKETS_PER_READ, slice.buckets - b) }, (_, k) => b + k);
    const [overlays, chunks] = await d1.batch(bucketsSelect(d1, slice.pk, group));
    const shadow = new Map<string, RevisedRecord>();
    for (const o of overlays.results as Array<{ item_id: string; rev: number; data: string }>) {
      shadow.set(o.item_id, { rec: JSON.parse(o.data) as StoredItem, orev: o.rev, prev: -1 });
    }
    const recs: RevisedRecord[] = [];
    for (const c of chunks.results as Array<{ rev: number; data: string }>) {
      for (const rec of parseRecords(c.data)) {
        const o = shadow.get(rec.i.item_id);
        if (o) shadow.delete(rec.i.item_id);
        recs.push(o ?? { rec, orev: 0, prev: c.rev });
      }
    }
    // Overlay rows of items whose part was evicted (partition/evict.ts): D1 holds only those.
    recs.push(...shadow.values());
    if (recs.length) await onRecords(recs);
  }
}
