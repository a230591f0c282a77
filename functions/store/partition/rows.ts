// One item as its partition holds it (functions/store/partition/item-partition.ts): the columns
// that select and order a cell's items, and the stored record whole (`record`, the StoredItem's
// JSON, the same text the D1 store keeps) so that stage 2 can make the partition the store.
import { featuresOf } from '../../../taxonomy/discovery/features.ts';
import { familyOf } from '../../../taxonomy/signatures/registry.ts';
import type { Outcome } from '../../../taxonomy/types.ts';
import type { StoredItem } from '../items/format.ts';

export interface PartitionRow {
  slice_id: string; slice_created_at: string; item_id: string;
  policy: string; outcome: Outcome; primary_code: string | null; family: string | null;
  /** Every matched signature code, joined by '|' ('' for none). */
  secondary: string;
  score: number | null; threshold: number; language: string | null; surface: string;
  record: string;
  /** The item's discovery features (features.ts featuresOf) as one JSON object: what the
   *  feature filters of the items route test, so that they decide as discovery counts. */
  features: string;
  /** The item's version (itemVersion): an older record never overwrites a newer one. */
  ver: number;
}

/** Above every version the first syncs stored (a slice's sum of revs, read before its records):
 *  those rows are replaced by the first write of a per-item version. */
export const VERSION_EPOCH = 2 ** 40;
/** Above every part rev (one per rewrite of a 16 KB part: never near a billion). */
const OVERLAY_BASE = 2 ** 30;

/**
 * An item's version, from the revs of the D1 row its record was read from (or just written to):
 * its overlay row's rev `orev` (≥ 1), else its part's rev `prev`. Exact, not a lower bound: the
 * rev is in the same row as the record. Monotone per item: a part's rev grows with each rewrite,
 * an item's record moves to an overlay row once (never deleted; a part rewrite never edits an
 * item that has one: store/items/editor.ts) and its rev grows from 1, so every overlay version
 * beats every part version. One number in the existing `ver` column rather than a new column:
 * the partitions' schema and their upsert's comparison stay as they are, and rows stored with
 * a slice version (far below VERSION_EPOCH) lose to any new write.
 */
export function itemVersion(orev: number, prev: number): number {
  return VERSION_EPOCH + (orev > 0 ? OVERLAY_BASE + orev : prev);
}

/** The D1 revs a per-item version was made from (itemVersion's inverse): an overlay row's rev,
 *  else 0 (the record came from a part: its rev does not matter once the part is gone). A row
 *  stored before per-item versions reads as 0 too; eviction waits until there is none (evict.ts). */
export function overlayRevOf(ver: number): number {
  return ver > VERSION_EPOCH + OVERLAY_BASE ? ver - VERSION_EPOCH - OVERLAY_BASE : 0;
}

export function partitionRow(slice: { slice_id: string; created_at: string }, rec: StoredItem, ver: number): PartitionRow {
  const d = rec.d;
  const score = rec.i.prediction?.score;
  return {
    slice_id: slice.slice_id, slice_created_at: slice.created_at, item_id: rec.i.item_id,
    policy: rec.i.policy, outcome: d.outcome, primary_code: d.primary, family: d.primary ? familyOf(d.primary) : null,
    secondary: d.secondary.map((s) => s.code).join('|'),
    score: typeof score === 'number' ? score : null, threshold: rec.t, language: rec.i.language ?? null, surface: rec.i.surface,
    record: JSON.stringify(rec), features: featuresJson(rec), ver,
  };
}

/** The `features` column of a stored record. */
export const featuresJson = (rec: StoredItem): string => JSON.stringify(Object.fromEntries(featuresOf(rec.i)));

/** A cell of one partition (SPEC §10): every filter optional. `signature` is a primary code, or
 *  a family (FUS.SUPPRESS) that matches its codes. */
export interface CellFilter {
  policy?: string; signature?: string; outcome?: Outcome; slice_id?: string;
  /** Discovery features the item must have with these values (SPEC §11: `surface`, `attr.tier`…). */
  features?: ReadonlyArray<readonly [string, string]>;
  /** 'discovery': only the items slice discovery counts (SPEC §11): an outcome, not excluded. */
  population?: 'discovery';
}

/** Where a page starts: after this item in the listing order. */
export interface ItemCursor { c: string; s: string; i: string }

/** An item of a listing (SPEC §10), plus its secondary codes for the export. */
export interface ListedItem {
  slice_id: string; item_id: string; policy: string; outcome: Outcome; primary: string | null;
  secondary: string; score: number | null; threshold: number; language: string | null; surface: string;
}

export interface ItemPage { items: ListedItem[]; next: ItemCursor | null }
