// Bulk edits of one slice's stored items (the consensus run, the GPU backend's results), and of
// the live neighbours whose TMP.FLIP an edit changes. Apart from editor.ts so that it can use
// neighbours.ts, which reads through editor.ts.
import type { StoredItem } from './format.ts';
import { AggregateDelta, countersStatements } from '../counters.ts';
import { baseRecord, propagateToNeighbours, stateKey, type ItemState } from './neighbours.ts';
import { cacheEvict } from './cache.ts';
import {
  addChange, inPartitionOnly, noOverlayGuards, overlayStatements, readRecords, rediagnose, rewritePartsStatements,
  type Editor, type ItemLoc, type ItemStore, type OverlayWrite, type PartRow, type SliceRef, type WrittenRecord,
} from './editor.ts';

export interface SliceEdit {
  statements: D1PreparedStatement[];
  /** Item ids found in the store (edited or not). */
  found: Set<string>;
  /** Items the editors changed. */
  changed: number;
  /** Items whose outcome / primary / excluded changed (live neighbours included). */
  rediagnosed: number;
  delta: AggregateDelta;
  /** Every record the statements write (neighbours included), with its row's revs once committed. */
  written: WrittenRecord[];
  /** Call after the batch with `statements` committed / failed (keeps the item cache true). */
  committed(): void;
  failed(): void;
}

/**
 * Reads the edited items, applies the editors and returns the statements — overlay rows where an
 * item has one, else the rewritten parts (rev-guarded, and guarded against an overlay row
 * appearing meanwhile) — and every counter the changes move. An edit that changes a live item's
 * label or decision re-diagnoses the items of segments n−1 and n+1 with their new neighbour
 * facts (neighbours.ts), written the same way in the same batch. An editor's record must be
 * `rediagnose(rec, item, c)` of its new item and posterior: an edited item whose neighbours
 * changed too is diagnosed again from those. Reads from D1, not the cache; the items read leave it.
 */
export async function planSliceEdit(store: ItemStore, slice: SliceRef, editors: Map<string, Editor>): Promise<SliceEdit> {
  const d1 = store.DB;
  const { locs, rows } = await readRecords(store, slice, editors.keys(), false);
  const states = new Map<string, ItemState>();
  const edited = new Map<ItemState, StoredItem>();
  for (const [id, loc] of locs) {
    const next = editors.get(id)!(loc.rec);
    const rec = next ?? loc.rec;
    const st: ItemState = { slice, id, loc, item: rec.i, c: rec.c, dirty: !!next };
    states.set(stateKey(slice, id), st);
    if (next) edited.set(st, next);
  }
  // Live items whose label or decision changed: their neighbours too (their parts join `rows`).
  await propagateToNeighbours(store, states, false, rows);

  const delta = new AggregateDelta();
  const overlays: OverlayWrite[] = [];
  const written: WrittenRecord[] = [];
  const inParts = new Map<string, { loc: ItemLoc; next: StoredItem }>();
  let rediagnosed = 0;
  for (const st of states.values()) {
    if (!st.dirty) continue;
    // New neighbour facts: diagnosed again with them (an editor's record has the old ones).
    const next = st.n ? rediagnose(baseRecord(st), st.item, st.c) : edited.get(st)!;
    const prev = st.loc.rec;
    if (next.d.outcome !== prev.d.outcome || next.d.primary !== prev.d.primary || next.d.excluded !== prev.d.excluded) rediagnosed++;
    addChange(delta, prev, next);
    // An item with an overlay row, or none in D1 at all (its slice evicted): its row is written.
    if (st.loc.orev > 0 || inPartitionOnly(st.loc)) {
      overlays.push({ bucket: st.loc.bucket, itemId: st.id, orev: st.loc.orev, rec: next });
      written.push({ slice, rec: next, orev: st.loc.orev + 1, prev: -1 });
    } else inParts.set(st.id, { loc: st.loc, next });
  }
  const { dirtyRows, partItems } = rewrittenParts(rows, inParts);
  // A rewritten part's rev is the one read plus one (its guard), for every item in it.
  for (const row of dirtyRows) {
    for (const rec of row.parts) {
      const w = inParts.get(rec.i.item_id);
      if (w && w.loc.bucket === row.bucket && w.loc.part === row.part) written.push({ slice, rec: w.next, orev: 0, prev: row.rev + 1 });
    }
  }
  const statements = [
    ...overlayStatements(d1, slice.pk, overlays),
    ...rewritePartsStatements(d1, slice.pk, dirtyRows),
    ...noOverlayGuards(d1, slice.pk, partItems),
    ...countersStatements(d1, slice, delta),
  ];
  const evict = () => { for (const st of states.values()) cacheEvict(slice.pk, st.id); };
  return { statements, found: new Set(locs.keys()), changed: edited.size, rediagnosed, delta, written, committed: evict, failed: evict };
}

/**
 * The parts to rewrite with the new records of items read from them. A part read twice (for an
 * edited item, then for a neighbour) is rewritten once, from its first read: if it changed in
 * between, that read's rev no longer matches and the guard aborts the batch (revs only grow).
 */
function rewrittenParts(rows: readonly PartRow[], inParts: ReadonlyMap<string, { loc: ItemLoc; next: StoredItem }>) {
  const dirtyRows: PartRow[] = [];
  const partItems: { bucket: number; itemId: string }[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const at = `${row.bucket}/${row.part}`;
    if (seen.has(at)) continue;
    seen.add(at);
    let dirty = false;
    const parts = row.parts.map((rec) => {
      const w = inParts.get(rec.i.item_id);
      if (!w || w.loc.part !== row.part || w.loc.bucket !== row.bucket) return rec;
      dirty = true;
      partItems.push({ bucket: row.bucket, itemId: rec.i.item_id });
      return w.next;
    });
    if (dirty) dirtyRows.push({ ...row, parts });
  }
  return { dirtyRows, partItems };
}
