// Diagnoses a validated slice item by item and writes it to the item store, keeping the
// aggregate deltas in memory. Live items wait only until both neighbouring segments of
// their stream have been seen (TMP.FLIP needs them), so memory stays small for ordered streams.
import { diagnoseItem, effectiveThreshold } from '../../taxonomy/diagnose.ts';
import { StreamIndex, decisionFacts } from '../../taxonomy/live.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import type { Diagnosis, EvalItem } from '../../taxonomy/types.ts';
import { AggregateDelta } from '../store/counters.ts';
import { ItemStoreWriter, detach, recordText, type NeighbourIds } from '../store/items/writer.ts';
import type { PendingLabels } from '../store/pending-labels.ts';
import { SubmittedVotes } from '../store/submitted-votes.ts';

interface Held { item: EvalItem; json: string; threshold: number; stream: string }

const hasFeatures = (item: EvalItem) => {
  const f = item.features;
  return !!f && (Array.isArray(f.audio) || Array.isArray(f.visual) || Array.isArray(f.text));
};

export function needsBackend(item: EvalItem, primary: string | null): boolean {
  return hasFeatures(item) && (!item.prediction || primary === 'UNPROBED');
}

const hasFlip = (secondary: Diagnosis['secondary']) => {
  for (let i = 0; i < secondary.length; i++) if (secondary[i].code === 'TMP.FLIP') return true;
  return false;
};

const segKey = (stream: string, seg: number) => `${stream}\u0000${seg}`;
/** A stream is judged per policy: each policy's decisions form their own sequence. */
const streamKey = (item: EvalItem) => `${item.live!.stream_id}\u0001${item.policy}`;

export class SliceProcessor {
  readonly delta = new AggregateDelta();
  /** Items the GPU backend must fill in: no prediction yet, or an UNPROBED failure — when
   *  they carry features the model can score. */
  readonly probeWork: string[] = [];
  /** Votes inside the submitted items, for the votes table (see store/submitted-votes.ts). */
  readonly votes = new SubmittedVotes();
  private readonly streams = new StreamIndex();
  /** Segments seen, per stream key. */
  private readonly seen = new Map<string, Set<number>>();
  private readonly held = new Map<string, Held[]>();
  /** Item ids claiming each segment (by segKey), for the records' neighbour ids. */
  private readonly claims = new Map<string, string[]>();
  /** Items diagnosed TMP.FLIP, kept until the slice's end (see emit). */
  private readonly flips: Held[] = [];
  private readonly store: ItemStoreWriter;
  /** Vendor label events parked before this slice arrived (SPEC §6). */
  private readonly pendingLabels?: PendingLabels;

  /** `opts.owner`: the claim the slice is written under (see ItemStoreWriter). */
  constructor(d1: D1Database, slicePk: number, buckets: number, opts: { pendingLabels?: PendingLabels; owner?: string } = {}) {
    this.store = new ItemStoreWriter(d1, slicePk, buckets, opts.owner);
    this.pendingLabels = opts.pendingLabels;
  }

  /** `json` is the item's JSON text as submitted (unknown fields kept). Returns a promise
   *  only when the item store has a batch to write (await it before the next add). The hot
   *  path stays synchronous: no promise per item and per emit. */
  add(item: EvalItem, json: string): Promise<void> | void {
    // Parked label events apply before anything reads the label.
    if (this.pendingLabels?.byItem.has(item.item_id)) {
      this.votes.keepSource(item);
      ({ item, json } = this.pendingLabels.apply(item, json));
    }
    const threshold = effectiveThreshold(item, policyByCode(item.policy)!.threshold);
    const live = item.live;
    if (!live) return this.emit(item, json, threshold, false);
    const stream = streamKey(item);
    const seg = live.segment;
    const key = segKey(stream, seg);
    let seen = this.seen.get(stream);
    if (!seen) this.seen.set(stream, (seen = new Set()));
    seen.add(seg);
    // A segment claimed twice with different decisions counts as unknown (StreamIndex decides).
    this.streams.add(stream, seg, decisionFacts(item, threshold));
    const claimants = this.claims.get(key);
    if (claimants) claimants.push(item.item_id); else this.claims.set(key, [item.item_id]);
    // Held items can wait until the slice's end (a stream's first and last segments have no
    // neighbour on one side): their text must not keep the body chunk it was cut from alive.
    const h: Held = { item, json: detach(json), threshold, stream };
    const list = this.held.get(key);
    if (list) list.push(h);
    else this.held.set(key, [h]);
    // This item and its neighbours may now have both of their neighbours.
    for (let s = seg - 1; s <= seg + 1; s++) {
      const p = this.release(stream, seen, s);
      if (p) return this.releaseRest(p, stream, seen, s + 1, seg + 1);
    }
  }

  private async releaseRest(p: Promise<void>, stream: string, seen: Set<number>, from: number, to: number): Promise<void> {
    await p;
    for (let s = from; s <= to; s++) await this.release(stream, seen, s);
  }

  async finish(): Promise<void> {
    for (const list of this.held.values()) for (const h of list) await this.emit(h.item, h.json, h.threshold, false, h.stream);
    this.held.clear();
    for (const h of this.flips) await this.emit(h.item, h.json, h.threshold, true, h.stream);
    this.flips.length = 0;
    await this.store.finish();
  }

  /** Waits for any write in flight to end (the slice is being abandoned). */
  settle(): Promise<void> { return this.store.settle(); }

  get rowsWritten() { return this.store.rowsWritten; }

  private release(stream: string, seen: Set<number>, seg: number): Promise<void> | void {
    if (!(seen.has(seg - 1) && seen.has(seg + 1))) return;
    const key = segKey(stream, seg);
    const list = this.held.get(key);
    if (!list) return;
    this.held.delete(key);
    return this.emitFrom(list, 0, stream);
  }

  /** Emits list[from…] in order, waiting for a write only when one starts. */
  private emitFrom(list: Held[], from: number, stream: string): Promise<void> | void {
    for (let i = from; i < list.length; i++) {
      const h = list[i];
      const p = this.emit(h.item, h.json, h.threshold, false, stream);
      if (p) return p.then(() => this.emitFrom(list, i + 1, stream));
    }
  }

  /** `stream`: streamKey(item) for live items. */
  private emit(item: EvalItem, json: string, threshold: number, final: boolean, stream?: string): Promise<void> | void {
    if (item.live && stream === undefined) stream = streamKey(item);
    const neighbours = item.live ? this.streams.neighbours(stream!, item.live.segment) : undefined;
    const d = diagnoseItem(item, { threshold, neighbours });
    // A later, disagreeing claim of a neighbouring segment makes that segment unknown, which can
    // undo a TMP.FLIP (never create one: neighbours only go from known to unknown once both were
    // seen). So flipped items wait for the slice's end and are diagnosed again then; they are
    // few, and the result no longer depends on the order of the lines.
    if (!final && d.failure && hasFlip(d.secondary)) {
      this.flips.push({ item, json, threshold, stream: stream ?? '' }); // only live items flip
      return;
    }
    this.delta.addItem(item.policy, item, d);
    if (needsBackend(item, d.primary)) this.probeWork.push(item.item_id);
    this.votes.add(item);
    return this.store.add(item.item_id, recordText(d, threshold, json, neighbours, item.live ? this.neighbourIds(stream!, item.live.segment) : undefined));
  }

  private neighbourIds(stream: string, seg: number): NeighbourIds {
    const p = this.claims.get(segKey(stream, seg - 1));
    const x = this.claims.get(segKey(stream, seg + 1));
    return { ...(p ? { p } : {}), ...(x ? { x } : {}) };
  }
}
