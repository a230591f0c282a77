// Applying label events (SPEC §6): a webhook delivery, or parked events drained later. One D1
// batch per delivery — atomic: the ledger row (vendor, delivery_id) first, so a replay fails the
// whole batch and changes nothing; then the votes, the events parked for items not stored yet,
// and per touched slice the rewritten item parts and every counter they move.
import { applyLabelEvents, type LabelEvent } from '../../taxonomy/labels.ts';
import type { Modality } from '../../taxonomy/types.ts';
import { ApiError } from '../lib/errors.ts';
import { chunk, nowIso } from '../lib/db.ts';
import { findSlices, isConcurrentUpdate, planSliceEdit, rediagnose, sleep, sliceKey, type Editor } from './store.ts';

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

/** Attempts when another writer rewrote an item part first (each re-reads the parts). */
export const MAX_ATTEMPTS = 16;

export interface LabelPlan {
  statements: D1PreparedStatement[];
  applied: number[];
  parked: number[];
  itemsChanged: number;
  relabelled: number;
  /** Tell the part cache whether the batch with `statements` committed. */
  committed(): void;
  failed(): void;
}

/** The part rewrites and counter moves for `events` (indexes into it say which were applied). */
export async function planLabelEvents(d1: D1Database, events: readonly (DeliveryEvent & { vendor: string })[]): Promise<LabelPlan> {
  const slices = await findSlices(d1, events);
  const bySlice = new Map<string, Map<string, number[]>>();
  const parked: number[] = [];
  events.forEach((e, idx) => {
    const key = sliceKey(e.region, e.slice_id);
    if (!slices.has(key)) { parked.push(idx); return; }
    let items = bySlice.get(key);
    if (!items) bySlice.set(key, (items = new Map()));
    const list = items.get(e.item_id);
    if (list) list.push(idx); else items.set(e.item_id, [idx]);
  });
  const applied: number[] = [];
  const statements: D1PreparedStatement[] = [];
  let itemsChanged = 0;
  let relabelled = 0;
  const edits = await Promise.all([...bySlice].map(async ([key, items]) => {
    const editors = new Map<string, Editor>();
    let rel = 0;
    for (const [itemId, idxs] of items) {
      const evs: LabelEvent[] = idxs.map((i) => toLabelEvent(events[i], events[i].vendor));
      editors.set(itemId, (rec) => {
        const r = applyLabelEvents(rec.i, evs);
        if (!r.changed) return null;
        if (r.labelChanged) rel++;
        // New votes make the last consensus posterior stale: drop it until the next run.
        return rediagnose(rec, r.item, r.votesChanged ? undefined : rec.c);
      });
    }
    const edit = await planSliceEdit(d1, slices.get(key)!, editors);
    return { items, edit, rel: () => rel };
  }));
  for (const { items, edit, rel } of edits) {
    for (const [itemId, idxs] of items) (edit.found.has(itemId) ? applied : parked).push(...idxs);
    statements.push(...edit.statements);
    itemsChanged += edit.changed;
    relabelled += rel();
  }
  parked.sort((a, b) => a - b);
  applied.sort((a, b) => a - b);
  return {
    statements, applied, parked, itemsChanged, relabelled,
    committed: () => { for (const e of edits) e.edit.committed(); },
    failed: () => { for (const e of edits) e.edit.failed(); },
  };
}

export function toLabelEvent(e: DeliveryEvent, vendor: string): LabelEvent {
  const out: LabelEvent = { violating: e.violating, labelled_at: e.labelled_at, vendor };
  if (e.annotator !== undefined) out.annotator = e.annotator;
  if (e.evidence !== undefined) out.evidence = e.evidence;
  if (e.adversarial !== undefined) out.adversarial = e.adversarial;
  return out;
}

const VOTE_ROWS = 12; // 8 columns
const PENDING_ROWS = 14; // 7 columns

/** Upserts the votes: one per (region, slice, item, annotator); a newer vote replaces an older. */
export function voteStatements(d1: D1Database, vendor: string, deliveryId: string, events: readonly DeliveryEvent[]): D1PreparedStatement[] {
  const latest = new Map<string, DeliveryEvent>();
  for (const e of events) {
    if (e.annotator === undefined) continue;
    const k = `${e.region}\u0000${e.slice_id}\u0000${e.item_id}\u0000${e.annotator}`;
    const held = latest.get(k);
    if (!held || held.labelled_at <= e.labelled_at) latest.set(k, e);
  }
  return chunk([...latest.values()], VOTE_ROWS).map((part) => d1.prepare(
    `INSERT INTO votes (region, slice_id, item_id, annotator, vendor, violating, labelled_at, delivery_id)
     VALUES ${part.map(() => '(?,?,?,?,?,?,?,?)').join(',')}
     ON CONFLICT (region, slice_id, item_id, annotator) DO UPDATE SET vendor = excluded.vendor, violating = excluded.violating,
       labelled_at = excluded.labelled_at, delivery_id = excluded.delivery_id
     WHERE excluded.labelled_at >= votes.labelled_at`,
  ).bind(...part.flatMap((e) => [e.region, e.slice_id, e.item_id, e.annotator!, vendor, e.violating ? 1 : 0, e.labelled_at, deliveryId])));
}

/** The stored form of a parked event (pending_labels.event). */
export function pendingEventJson(e: DeliveryEvent): string {
  const { violating, annotator, evidence, adversarial, labelled_at } = e;
  return JSON.stringify({ violating, annotator, evidence, adversarial, labelled_at });
}

function pendingStatements(d1: D1Database, vendor: string, deliveryId: string, events: DeliveryEvent[], at: string): D1PreparedStatement[] {
  return chunk(events, PENDING_ROWS).map((part) => d1.prepare(
    `INSERT INTO pending_labels (region, slice_id, item_id, vendor, delivery_id, event, received_at) VALUES ${part.map(() => '(?,?,?,?,?,?,?)').join(',')}`,
  ).bind(...part.flatMap((e) => [e.region, e.slice_id, e.item_id, vendor, deliveryId, pendingEventJson(e), at])));
}

export const backoff = (attempt: number) => sleep(Math.min(50, 2 ** Math.min(attempt, 5)) * Math.random());

/** Applies one delivery exactly once (see the file comment). */
export async function applyDelivery(d1: D1Database, vendor: string, deliveryId: string, events: readonly DeliveryEvent[]): Promise<DeliveryResult> {
  const receivedAt = nowIso();
  const base = { delivery_id: deliveryId, events: events.length };
  const withVendor = events.map((e) => ({ ...e, vendor }));
  for (let attempt = 1; ; attempt++) {
    const plan = await planLabelEvents(d1, withVendor);
    const stmts: D1PreparedStatement[] = [
      d1.prepare('INSERT INTO webhook_deliveries (vendor, delivery_id, received_at, events, applied, parked) VALUES (?, ?, ?, ?, ?, ?)')
        .bind(vendor, deliveryId, receivedAt, events.length, plan.applied.length, plan.parked.length),
      ...voteStatements(d1, vendor, deliveryId, events),
      ...pendingStatements(d1, vendor, deliveryId, plan.parked.map((i) => events[i]), receivedAt),
      ...plan.statements,
    ];
    try {
      await d1.batch(stmts);
      plan.committed();
      return { ...base, duplicate: false, applied: plan.applied.length, parked: plan.parked.length, items_changed: plan.itemsChanged, relabelled: plan.relabelled };
    } catch (e) {
      if (/UNIQUE constraint failed: webhook_deliveries/i.test(String((e as Error).message))) {
        return { ...base, duplicate: true, applied: 0, parked: 0, items_changed: 0, relabelled: 0 };
      }
      plan.failed();
      if (!isConcurrentUpdate(e)) throw e;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ApiError(503, 'busy', `items of this delivery were rewritten concurrently ${attempt} times; nothing was applied, retry the delivery`);
      }
      await backoff(attempt);
    }
  }
}
