// One item's diagnosis as GET /v1/regions/{r}/slices/{s}/items/{id} answers it, and the stored
// record it comes from (for the item page, which shows more of it: consensus posterior, live
// neighbours). Its current record: the label overlay over the item store.
import { notFound } from '../lib/errors.ts';
import { isUnprobeable } from '../store/counters.ts';
import { findCurrentItem, type ItemStore } from '../store/items/editor.ts';
import type { StoredItem } from '../store/items/format.ts';
import { getSlice, type SliceRow } from '../store/slices.ts';

export async function sliceOr404(d1: D1Database, region: string, sliceId: string): Promise<SliceRow> {
  const row = await getSlice(d1, region, sliceId);
  if (!row) throw notFound(`slice_id: no slice '${sliceId}' in ${region}`);
  return row;
}

export async function itemDiagnosis(store: ItemStore, region: string, sliceId: string, itemId: string) {
  const slice = await sliceOr404(store.DB, region, sliceId);
  const rec: StoredItem | null = slice.status === 'complete' || slice.status === 'probing' ? await findCurrentItem(store, slice, itemId) : null;
  if (!rec) throw notFound(`item_id: no item '${itemId}' in slice '${sliceId}'${slice.status === 'processing' ? ' (slice still processing)' : ''}`);
  const { d, t, i } = rec;
  const body = {
    slice_id: sliceId, item_id: itemId, outcome: d.outcome, failure: d.failure, excluded: d.excluded, threshold: t,
    primary: d.primary, secondary: d.secondary, item: i as unknown as Record<string, unknown>,
    ...(isUnprobeable(i) ? { probe_error: i.probe_error as string } : {}),
  };
  return { slice, rec, body };
}
