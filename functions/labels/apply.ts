// Applying label events (SPEC §6): webhook deliveries — one, or a group of concurrent ones
// (functions/labels/group-commit.ts) — or parked events drained later. ONE D1 batch per group,
// atomic: the ledger rows (vendor, delivery_id) first, so a delivery applied before fails the
// whole batch and changes nothing; then the votes, the events parked for items not stored yet,
// the items' new records (item overlays, revision-guarded) and per touched slice every counter
// they move. Deliveries of a group are planned one after the other against the evolving state,
// so the outcome is the same as applying them one by one in that order.
import { baseRecord, propagateToNeighbours, type ItemState } from '../store/items/neighbours.ts';
import { applyLabelEvents, type LabelEvent } from '../../taxonomy/labels.ts';
import type { EvalItem, Modality } from '../../taxonomy/types.ts';
import { AggregateDelta, countersStatements } from '../store/counters.ts';
import { ApiError } from '../lib/errors.ts';
import { jsonRows, nowIso } from '../lib/db.ts';
import { cacheEvict, cachePut } from '../store/items/cache.ts';
import {
  addChange, findSlices, overlayStatements, readRecords, type ItemStore,
  rediagnose, sliceKey, type ItemLoc, type OverlayWrite, type ReadResult, type SliceRef, type WrittenRecord,
} from '../store/items/editor.ts';
import { abortOf, raiseSql, withRetry } from '../store/guards.ts';

/** One event of a delivery, validated; `labelled_at` normalised to ISO 8601 UTC. */
export interface DeliveryEvent {
  region: string; slice_id: string; item_id: string; violating: boolean;
  annotator?: string; evidence?: Modality[]; adversarial?: boolean; labelled_at: string;
}

export interface DeliveryResult {
  delivery_id: string;
  duplicate: boolean;
  events: number;
  /** Events applied to stored items. */
  applied: number;
  /** Events whose slice (complete or probing) or item is not stored yet: kept in pending_labels. */
  parked: number;
  /** Items whose stored record changed. */
  items_changed: number;
  /** Items whose label.violating changed. */
  relabelled: number;
}

/** A delivery verified and parsed, to apply. */
export interface Delivery { vendor: string; deliveryId: string; events: readonly DeliveryEvent[] }

export const duplicateResult = (d: Delivery): DeliveryResult =>
  ({ delivery_id: d.deliveryId, duplicate: true, events: d.events.length, applied: 0, parked: 0, items_changed: 0, relabelled: 0 });

/** What one unit (a delivery, or a set of parked events) did; indexes into its events. */
export interface UnitOutcome { applied: number[]; parked: number[]; itemsChanged: number; relabelled: number }

export interface LabelPlan {
  statements: D1PreparedStatement[];
  outcomes: UnitOutcome[];
  /** Every record the statements write (live neighbours included), with its new overlay rev. */
  written: WrittenRecord[];
  /** Tell the item cache whether the batch with `statements` committed. */
  committed(): void;
  failed(): void;
}

type VendorEvent = DeliveryEvent & { vendor: string };


/**
 * The item writes and counter moves for `units` of label events, applied in order: each unit's
 * events on an item are applied together (applyLabelEvents: a tie keeps the label the item had
 * before the unit), the next unit sees the result. Each changed item is re-diagnosed and
 * written once.
 */
export async function planLabelEdits(store: ItemStore, units: readonly (readonly VendorEvent[])[], useCache = true): Promise<LabelPlan> {
  const d1 = store.DB;
  const slices = await findSlices(d1, units.flat());
  const idsBySlice = new Map<string, Set<string>>();
  for (const u of units) {
    for (const e of u) {
      const key = sliceKey(e.region, e.slice_id);
      if (!slices.has(key)) continue;
      let ids = idsBySlice.get(key);
      if (!ids) idsBySlice.set(key, (ids = new Set()));
      ids.add(e.item_id);
    }
  }
  const reads = new Map<string, ReadResult>(await Promise.all([...idsBySlice].map(async ([key, ids]) =>
    [key, await readRecords(store, slices.get(key)!, ids, useCache)] as const)));
  const states = new Map<string, ItemState>();
  const outcomes = units.map((events): UnitOutcome => {
    const out: UnitOutcome = { applied: [], parked: [], itemsChanged: 0, relabelled: 0 };
    const byItem = new Map<string, { st: ItemState; idxs: number[] }>();
    events.forEach((e, idx) => {
      const key = sliceKey(e.region, e.slice_id);
      const loc = reads.get(key)?.locs.get(e.item_id);
      if (!loc) { out.parked.push(idx); return; }
      const k = `${key}\u0000${e.item_id}`;
      let g = byItem.get(k);
      if (!g) {
        let st = states.get(k);
        if (!st) states.set(k, (st = { slice: slices.get(key)!, id: e.item_id, loc, item: loc.rec.i, c: loc.rec.c, dirty: false }));
        byItem.set(k, (g = { st, idxs: [] }));
      }
      g.idxs.push(idx);
    });
    for (const { st, idxs } of byItem.values()) {
      out.applied.push(...idxs);
      const r = applyLabelEvents(st.item, idxs.map((i) => toLabelEvent(events[i], events[i].vendor)));
      if (!r.changed) continue;
      st.item = r.item;
      // New votes make the last consensus posterior stale: drop it until the next run.
      if (r.votesChanged) st.c = undefined;
      st.dirty = true;
      out.itemsChanged++;
      if (r.labelChanged) out.relabelled++;
    }
    out.applied.sort((a, b) => a - b);
    return out;
  });

  await propagateToNeighbours(store, states, useCache);

  const statements: D1PreparedStatement[] = [];
  const written: Array<{ st: ItemState; loc: ItemLoc; bytes: number }> = [];
  for (const [key, slice] of slices) {
    const mine = [...states.values()].filter((st) => st.dirty && sliceKey(st.slice.region, st.slice.slice_id) === key);
    if (!mine.length) continue;
    const delta = new AggregateDelta();
    const writes: OverlayWrite[] = [];
    for (const st of mine) {
      const next = rediagnose(baseRecord(st), st.item, st.c);
      addChange(delta, st.loc.rec, next);
      writes.push({ bucket: st.loc.bucket, itemId: st.id, orev: st.loc.orev, part: st.loc.part, prev: st.loc.prev, rec: next });
    }
    const sizes: number[] = [];
    statements.push(...overlayStatements(d1, slice.pk, writes, sizes), ...countersStatements(d1, slice, delta));
    mine.forEach((st, k) => written.push({ st, loc: { rec: writes[k].rec, orev: st.loc.orev + 1, bucket: st.loc.bucket, part: st.loc.part, prev: st.loc.prev }, bytes: sizes[k] }));
  }
  return {
    statements, outcomes,
    written: written.map((w) => ({ slice: w.st.slice, rec: w.loc.rec, orev: w.loc.orev, prev: w.loc.prev })),
    committed: () => { if (useCache) for (const w of written) cachePut(w.st.slice.pk, w.st.id, w.loc, w.bytes); },
    failed: () => { for (const st of states.values()) cacheEvict(st.slice.pk, st.id); },
  };
}

export function toLabelEvent(e: DeliveryEvent, vendor: string): LabelEvent {
  const out: LabelEvent = { violating: e.violating, labelled_at: e.labelled_at, vendor };
  if (e.annotator !== undefined) out.annotator = e.annotator;
  if (e.evidence !== undefined) out.evidence = e.evidence;
  if (e.adversarial !== undefined) out.adversarial = e.adversarial;
  return out;
}

// Fixed SQL texts, rows as one JSON parameter (see lib/db.ts jsonRows).
const VOTES_UPSERT = `INSERT INTO votes (region, slice_id, item_id, annotator, vendor, violating, labelled_at, delivery_id)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7
  FROM json_each(?1) AS j WHERE true
  ON CONFLICT (region, slice_id, item_id, annotator) DO UPDATE SET vendor = excluded.vendor, violating = excluded.violating,
    labelled_at = excluded.labelled_at, delivery_id = excluded.delivery_id
  WHERE excluded.labelled_at >= votes.labelled_at`;
// A plain INSERT: a delivery id already in the ledger fails the whole batch.
const LEDGER_INSERT = `INSERT INTO webhook_deliveries (vendor, delivery_id, received_at, events, applied, parked)
  SELECT j.value ->> 0, j.value ->> 1, ?1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(?2) AS j`;
// One vendor's parked events, capped in the same statement: past the cap (?4) it raises the
// 'parked-cap' abort, and the whole batch is undone (nothing stored).
const PENDING_INSERT = `INSERT INTO pending_labels (region, slice_id, item_id, vendor, delivery_id, event, received_at)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2,
    CASE WHEN (SELECT count(*) FROM pending_labels WHERE vendor = ?3) + json_array_length(?2) <= ?4 THEN ?3 ELSE ${raiseSql('parked-cap')} END,
    j.value ->> 3, j.value ->> 4, ?1 FROM json_each(?2) AS j ORDER BY j.key`;

/** Parked events a vendor may have at once by default (MAX_PARKED_PER_VENDOR overrides). */
export const DEFAULT_MAX_PARKED = 100_000;
/** Seconds a vendor refused at its cap is asked to wait (Retry-After). */
export const PARKED_RETRY_AFTER_S = 300;

export const parkedCapError = (cap: number) => new ApiError(429, 'too_many_parked',
  `events: this vendor has ${cap} parked label events (for slices or items not stored yet), the most allowed; nothing was applied, retry later`,
  { field: 'events', max_parked: cap }, { 'retry-after': String(PARKED_RETRY_AFTER_S) });

/** Upserts the votes: one per (region, slice, item, annotator); a newer vote replaces an older,
 *  and of equal times the later one (in delivery order, then event order). */
export function voteStatements(d1: D1Database, deliveries: readonly Delivery[]): D1PreparedStatement[] {
  const latest = new Map<string, { e: DeliveryEvent; d: Delivery }>();
  for (const d of deliveries) {
    for (const e of d.events) {
      if (e.annotator === undefined) continue;
      const k = `${e.region}\u0000${e.slice_id}\u0000${e.item_id}\u0000${e.annotator}`;
      const held = latest.get(k);
      if (!held || held.e.labelled_at <= e.labelled_at) latest.set(k, { e, d });
    }
  }
  return jsonRows([...latest.values()].map(({ e, d }) => [e.region, e.slice_id, e.item_id, e.annotator!, d.vendor, e.violating ? 1 : 0, e.labelled_at, d.deliveryId]))
    .map((json) => d1.prepare(VOTES_UPSERT).bind(json));
}

/** The stored form of a parked event (pending_labels.event). */
export function pendingEventJson(e: DeliveryEvent): string {
  const { violating, annotator, evidence, adversarial, labelled_at } = e;
  return JSON.stringify({ violating, annotator, evidence, adversarial, labelled_at });
}

export interface DeliveriesPlan { statements: D1PreparedStatement[]; results: DeliveryResult[]; written: WrittenRecord[]; committed(): void; failed(): void }

/** The whole batch for `deliveries` (distinct ids): ledger rows, votes, parked events, items, counters. */
export async function planDeliveries(store: ItemStore, deliveries: readonly Delivery[], maxParked = DEFAULT_MAX_PARKED, useCache = true): Promise<DeliveriesPlan> {
  const d1 = store.DB;
  const receivedAt = nowIso();
  const plan = await planLabelEdits(store, deliveries.map((d) => d.events.map((e) => ({ ...e, vendor: d.vendor }))), useCache);
  const ledger = jsonRows(deliveries.map((d, k) => [d.vendor, d.deliveryId, d.events.length, plan.outcomes[k].applied.length, plan.outcomes[k].parked.length]))
    .map((json) => d1.prepare(LEDGER_INSERT).bind(receivedAt, json));
  const parked = new Map<string, unknown[][]>();
  deliveries.forEach((d, k) => {
    let rows = parked.get(d.vendor);
    for (const i of plan.outcomes[k].parked) {
      const e = d.events[i];
      if (!rows) parked.set(d.vendor, (rows = []));
      rows.push([e.region, e.slice_id, e.item_id, d.deliveryId, pendingEventJson(e)]);
    }
  });
  const pending = [...parked].flatMap(([vendor, rows]) => jsonRows(rows).map((json) => d1.prepare(PENDING_INSERT).bind(receivedAt, json, vendor, maxParked)));
  return {
    statements: [...ledger, ...voteStatements(d1, deliveries), ...pending, ...plan.statements],
    results: deliveries.map((d, k) => {
      const o = plan.outcomes[k];
      return { delivery_id: d.deliveryId, duplicate: false, events: d.events.length, applied: o.applied.length, parked: o.parked.length, items_changed: o.itemsChanged, relabelled: o.relabelled };
    }),
    written: plan.written,
    committed: plan.committed,
    failed: plan.failed,
  };
}

/** Told the records a committed batch wrote (the route feeds the item partitions with them). */
export type OnWritten = (written: WrittenRecord[]) => Promise<void> | void;

/** Applies one delivery exactly once, on its own (see the file comment); retries on a concurrent rewrite. */
export async function applyDelivery(store: ItemStore, delivery: Delivery, maxParked = DEFAULT_MAX_PARKED, written?: WrittenRecord[]): Promise<DeliveryResult> {
  return withRetry(async () => {
    const plan = await planDeliveries(store, [delivery], maxParked);
    try {
      await store.DB.batch(plan.statements);
      plan.committed();
      written?.push(...plan.written);
      return plan.results[0];
    } catch (e) {
      plan.failed();
      const abort = abortOf(e);
      if (abort === 'duplicate-delivery') return duplicateResult(delivery);
      if (abort === 'parked-cap') throw parkedCapError(maxParked);
      throw e;
    }
  }, {
    exhausted: (_e, attempts) =>
      new ApiError(503, 'busy', `items of this delivery were rewritten concurrently ${attempts} times; nothing was applied, retry the delivery`),
  });
}
