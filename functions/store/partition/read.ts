// Reading items back from their partition: the item store's read for a slice whose D1 copy was
// evicted (evict.ts). Each record comes with the overlay rev its version encodes (rows.ts), which
// the editor's guards compare exactly as they compare a rev read from D1.
import type { StoredItem } from '../items/format.ts';
import { overlayRevOf } from './rows.ts';
import { partitionOf, type ItemStore } from './stub.ts';

export interface PartitionSliceRef { region: string; slice_id: string; model_id: string; model_version: string; created_at: string }

/** Ids per call (one JSON parameter; a call costs ~1–3 ms, records ~1 KB each). */
const IDS_PER_CALL = 2_000;

/** The current records of the given items of a slice as its partition holds them, with the
 *  overlay rev of each (0: the record came from a part) and its JSON size. */
export async function readFromPartition(store: ItemStore, slice: PartitionSliceRef, itemIds: readonly string[]) {
  const out = new Map<string, { rec: StoredItem; orev: number; bytes: number }>();
  if (!itemIds.length) return out;
  const stub = partitionOf(store, slice.region, slice.model_id, slice.model_version);
  for (let i = 0; i < itemIds.length; i += IDS_PER_CALL) {
    for (const r of await stub.current(slice.created_at, slice.slice_id, itemIds.slice(i, i + IDS_PER_CALL))) {
      out.set(r.item_id, { rec: JSON.parse(r.record) as StoredItem, orev: overlayRevOf(r.ver), bytes: r.record.length });
    }
  }
  return out;
}
