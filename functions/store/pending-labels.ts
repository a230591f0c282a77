// Parked label events (SPEC §6): events for a slice or item not stored yet wait in
// pending_labels and are applied when the item arrives — at ingest, before its diagnosis —
// and deleted in the slice's commit batch. Never dropped silently.
import { applyLabelEvents, type LabelEvent } from '../../taxonomy/labels.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { chunk } from '../lib/db.ts';

export interface PendingEvent extends LabelEvent { id: number }

interface PendingRow { id: number; item_id: string; vendor: string; event: string }

function parseEvent(r: PendingRow): PendingEvent {
  const e = JSON.parse(r.event) as Omit<LabelEvent, 'vendor'>;
  const out: PendingEvent = { id: r.id, violating: e.violating, labelled_at: e.labelled_at, vendor: r.vendor };
  if (e.annotator !== undefined) out.annotator = e.annotator;
  if (e.evidence !== undefined) out.evidence = e.evidence;
  if (e.adversarial !== undefined) out.adversarial = e.adversarial;
  return out;
}

/** The events parked for one slice, per item, in arrival order. */
export class PendingLabels {
  /** ids of the rows applied so far (deleted at commit). */
  readonly applied: number[] = [];

  constructor(readonly byItem: Map<string, PendingEvent[]> = new Map()) {}

  get size() { return this.byItem.size; }

  /** Applies the item's parked events, if any; `json` (the item as submitted) gets the new label. */
  apply(item: EvalItem, json: string): { item: EvalItem; json: string } {
    const events = this.byItem.get(item.item_id);
    if (!events) return { item, json };
    this.byItem.delete(item.item_id);
    for (const e of events) this.applied.push(e.id);
    const r = applyLabelEvents(item, events);
    if (!r.changed) return { item, json };
    const raw = JSON.parse(json) as Record<string, unknown>;
    raw.label = r.item.label;
    return { item: r.item, json: JSON.stringify(raw) };
  }

  /** Deletes the applied rows (for the slice's commit batch). */
  deleteStatements(d1: D1Database): D1PreparedStatement[] {
    return chunk(this.applied, 100).map((ids) => d1.prepare(`DELETE FROM pending_labels WHERE id IN (${ids.map(() => '?').join(',')})`).bind(...ids));
  }
}

/** Events parked for (region, slice_id): Map item_id → events, oldest first. */
export async function loadPendingLabels(d1: D1Database, region: string, sliceId: string): Promise<PendingLabels> {
  const { results } = await d1.prepare('SELECT id, item_id, vendor, event FROM pending_labels WHERE region = ? AND slice_id = ? ORDER BY id')
    .bind(region, sliceId).all<PendingRow>();
  const byItem = new Map<string, PendingEvent[]>();
  for (const r of results) {
    const list = byItem.get(r.item_id);
    if (list) list.push(parseEvent(r)); else byItem.set(r.item_id, [parseEvent(r)]);
  }
  return new PendingLabels(byItem);
}

/** Parked rows whose slice is stored now (e.g. parked while it was still processing), oldest
 *  first; of one slice only when `slice` is given. */
export async function strandedPending(d1: D1Database, limit: number, slice?: { region: string; slice_id: string }) {
  const { results } = await d1.prepare(
    `SELECT p.id, p.region, p.slice_id, p.item_id, p.vendor, p.event FROM pending_labels p
     JOIN slices s ON s.region = p.region AND s.slice_id = p.slice_id
     WHERE s.status IN ('complete', 'probing')${slice ? ' AND p.region = ? AND p.slice_id = ?' : ''} ORDER BY p.id LIMIT ?`,
  ).bind(...(slice ? [slice.region, slice.slice_id] : []), limit).all<PendingRow & { region: string; slice_id: string }>();
  return results.map((r) => ({ region: r.region, slice_id: r.slice_id, item_id: r.item_id, ...parseEvent(r) }));
}
