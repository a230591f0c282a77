// TMP.FLIP of a live item reads the labels and decisions of segments n−1 and n+1 of its stream.
// When label events, or a bulk edit (slice-edit.ts: consensus, GPU backend), change what a live
// item's segment says, the items claiming the neighbouring segments see other facts: they are
// diagnosed again. The neighbours' ids are in the records (`s`, written at ingest); a segment's
// facts are merged from every item claiming it (taxonomy/live.ts segmentFacts), as they are now.
import { decisionFacts, sameFacts, segmentFacts } from '../../../taxonomy/live.ts';
import type { EvalItem, SegmentFacts } from '../../../taxonomy/types.ts';
import type { StoredItem } from './format.ts';
import { readRecords, sliceKey, type ItemLoc, type ItemStore, type PartRow, type SliceRef } from './editor.ts';

/** An item a label plan or bulk edit touches: its location, its current item, consensus posterior, and —
 *  when a neighbouring segment's facts changed — its new neighbour facts `n`. */
export interface ItemState {
  slice: SliceRef; id: string; loc: ItemLoc; item: EvalItem; c: number | undefined; dirty: boolean;
  n?: StoredItem['n'];
}

export const stateKey = (slice: Pick<SliceRef, 'region' | 'slice_id'>, id: string) => `${sliceKey(slice.region, slice.slice_id)}\u0000${id}`;

const factsOf = (item: EvalItem, rec: StoredItem) => decisionFacts(item, rec.t);

/** Loads into `states` (not dirty) the given items not there yet; the parts read go to `rows`. */
async function load(store: ItemStore, states: Map<string, ItemState>, wanted: Map<SliceRef, Set<string>>, useCache: boolean, rows?: PartRow[]): Promise<void> {
  await Promise.all([...wanted].map(async ([slice, ids]) => {
    const missing = [...ids].filter((id) => !states.has(stateKey(slice, id)));
    if (!missing.length) return;
    const { locs, rows: read } = await readRecords(store, slice, missing, useCache);
    rows?.push(...read);
    for (const [id, loc] of locs) states.set(stateKey(slice, id), { slice, id, loc, item: loc.rec.i, c: loc.rec.c, dirty: false });
  }));
}

function want(into: Map<SliceRef, Set<string>>, slice: SliceRef, ids: readonly string[] | undefined): void {
  if (!ids?.length) return;
  let set = into.get(slice);
  if (!set) into.set(slice, (set = new Set()));
  for (const id of ids) set.add(id);
}

/**
 * Marks dirty, with new neighbour facts, the items whose neighbouring segment changed through
 * the dirty items of `states` (loading them, and the other claimants of the changed segments,
 * from D1 when needed: at most two reads, and none unless a live item's facts changed).
 * `rows` (callers editing one slice by part rewrites) collects the parts those reads return.
 */
export async function propagateToNeighbours(store: ItemStore, states: Map<string, ItemState>, useCache = true, rows?: PartRow[]): Promise<void> {
  const changed = [...states.values()].filter((st) => st.dirty && st.item.live && st.loc.rec.s
    && !sameFacts(factsOf(st.loc.rec.i, st.loc.rec), factsOf(st.item, st.loc.rec)));
  if (!changed.length) return;
  // The neighbours: claimants of segment n−1 (their `next` faces the changed item) and n+1.
  const wanted = new Map<SliceRef, Set<string>>();
  for (const st of changed) { want(wanted, st.slice, st.loc.rec.s!.p); want(wanted, st.slice, st.loc.rec.s!.x); }
  await load(store, states, wanted, useCache, rows);
  // Each neighbour side that faces a changed segment, and every claimant of that segment.
  const sides: Array<{ nb: ItemState; side: 'prev' | 'next'; claimants: string[] }> = [];
  const more = new Map<SliceRef, Set<string>>();
  for (const st of changed) {
    const seg = st.item.live!.segment;
    for (const id of [...(st.loc.rec.s!.p ?? []), ...(st.loc.rec.s!.x ?? [])]) {
      const nb = states.get(stateKey(st.slice, id));
      const at = nb?.item.live?.segment;
      if (!nb || (at !== seg - 1 && at !== seg + 1)) continue;
      const side = at === seg - 1 ? 'next' : 'prev';
      const claimants = (side === 'next' ? nb.loc.rec.s?.x : nb.loc.rec.s?.p) ?? [st.id];
      if (sides.some((x) => x.nb === nb && x.side === side)) continue;
      sides.push({ nb, side, claimants });
      want(more, st.slice, claimants);
    }
  }
  await load(store, states, more, useCache, rows);
  for (const { nb, side, claimants } of sides) {
    // A claimant that cannot be read counts as undecided: missing evidence never fires.
    const facts: SegmentFacts | undefined = segmentFacts(claimants.map((id) => {
      const c = states.get(stateKey(nb.slice, id));
      return c ? factsOf(c.item, c.loc.rec) : undefined;
    }));
    const current = nb.n ?? nb.loc.rec.n ?? {};
    if (sameFacts(current[side], facts)) continue;
    const n = { ...current };
    if (facts) n[side] = facts; else delete n[side];
    nb.n = n;
    nb.dirty = true;
  }
}

/** The record to re-diagnose an item state from: its stored record with its new neighbour facts. */
export function baseRecord(st: ItemState): StoredItem {
  if (!st.n) return st.loc.rec;
  const { n: _old, ...rest } = st.loc.rec;
  return st.n.prev || st.n.next ? { ...rest, n: st.n } : rest;
}
