// Diagnoses a validated slice item by item and writes it to the item store, keeping the
// aggregate deltas in memory. Live items wait only until both neighbouring segments of
// their stream have been seen (TMP.FLIP needs them), so memory stays small for ordered streams.
import { diagnoseItem, effectiveThreshold } from '../../taxonomy/diagnose.ts';
import { StreamIndex, decisionFacts } from '../../taxonomy/live.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { AggregateDelta, itemMetrics } from './metrics.ts';
import { ItemStoreWriter, recordText } from './item-store.ts';
import type { PendingLabels } from '../labels/pending.ts';

interface Held { item: EvalItem; json: string; threshold: number }

const hasFeatures = (item: EvalItem) => ['audio', 'visual', 'text'].some((m) => Array.isArray(item.features?.[m as 'audio']));

export function needsBackend(item: EvalItem, primary: string | null): boolean {
  return hasFeatures(item) && (!item.prediction || primary === 'UNPROBED');
}

const segKey = (stream: string, seg: number) => `${stream}\u0000${seg}`;
/** A stream is judged per policy: each policy's decisions form their own sequence. */
const streamKey = (item: EvalItem) => `${item.live!.stream_id}\u0001${item.policy}`;

export class SliceProcessor {
  readonly delta = new AggregateDelta();
  /** Items the GPU backend must fill in: no prediction yet, or an UNPROBED failure — when
   *  they carry features the model can score. */
  readonly probeWork: string[] = [];
  private readonly streams = new StreamIndex();
  private readonly seen = new Set<string>();
  private readonly held = new Map<string, Held[]>();
  /** Items diagnosed TMP.FLIP, kept until the slice's end (see emit). */
  private readonly flips: Held[] = [];
  private readonly store: ItemStoreWriter;
  /** [labels] Vendor label events parked before this slice arrived (SPEC §6). */
  private readonly pendingLabels?: PendingLabels;

  constructor(d1: D1Database, slicePk: number, buckets: number, opts: { pendingLabels?: PendingLabels } = {}) {
    this.store = new ItemStoreWriter(d1, slicePk, buckets);
    this.pendingLabels = opts.pendingLabels;
  }

  /** `json` is the item's JSON text as submitted (unknown fields kept). */
  async add(item: EvalItem, json: string): Promise<void> {
    // [labels] Parked label events apply before anything reads the label.
    if (this.pendingLabels?.size) ({ item, json } = this.pendingLabels.apply(item, json));
    const threshold = effectiveThreshold(item, policyByCode(item.policy)!.threshold);
    const live = item.live;
    if (!live) return this.emit({ item, json, threshold });
    const stream = streamKey(item);
    const key = segKey(stream, live.segment);
    this.seen.add(key);
    // A segment claimed twice with different decisions counts as unknown (StreamIndex decides).
    this.streams.add(stream, live.segment, decisionFacts(item, threshold));
    const list = this.held.get(key);
    if (list) list.push({ item, json, threshold });
    else this.held.set(key, [{ item, json, threshold }]);
    // This item and its neighbours may now have both of their neighbours.
    for (const s of [live.segment - 1, live.segment, live.segment + 1]) await this.release(stream, s);
  }

  async finish(): Promise<void> {
    for (const list of this.held.values()) for (const h of list) await this.emit(h);
    this.held.clear();
    for (const h of this.flips) await this.emit(h, true);
    this.flips.length = 0;
    await this.store.finish();
  }

  get rowsWritten() { return this.store.rowsWritten; }

  private async release(stream: string, seg: number): Promise<void> {
    if (!(this.seen.has(segKey(stream, seg - 1)) && this.seen.has(segKey(stream, seg + 1)))) return;
    const key = segKey(stream, seg);
    const list = this.held.get(key);
    if (!list) return;
    this.held.delete(key);
    for (const h of list) await this.emit(h);
  }

  private async emit(h: Held, final = false): Promise<void> {
    const { item, json, threshold } = h;
    const neighbours = item.live ? this.streams.neighbours(streamKey(item), item.live.segment) : undefined;
    const d = diagnoseItem(item, { threshold, neighbours });
    // A later, disagreeing claim of a neighbouring segment makes that segment unknown, which can
    // undo a TMP.FLIP (never create one: neighbours only go from known to unknown once both were
    // seen). So flipped items wait for the slice's end and are diagnosed again then; they are
    // few, and the result no longer depends on the order of the lines.
    if (!final && d.secondary.some((s) => s.code === 'TMP.FLIP')) {
      this.flips.push(h);
      return;
    }
    this.delta.add(item.policy, itemMetrics(item, d));
    if (needsBackend(item, d.primary)) this.probeWork.push(item.item_id);
    await this.store.add(item.item_id, recordText(d, threshold, json, neighbours));
  }
}
