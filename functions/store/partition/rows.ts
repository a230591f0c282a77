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
  /** The slice's item version read before the record (sync.ts): an older read never
   *  overwrites a newer one. */
  ver: number;
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
