// Live streams: the neighbour lookup TMP.FLIP needs, built over one slice's items.
import type { EvalItem, SegmentFacts } from './types.ts';
import { outcomeOf } from './signatures/facts.ts';

/** Decision and label of an item, or undefined when it has none yet (pending). */
export function decisionFacts(item: EvalItem, threshold: number): SegmentFacts | undefined {
  if (outcomeOf(item, threshold) === 'pending') return undefined;
  return { decision: item.prediction!.score >= threshold, violating: item.label!.violating };
}

/** Two segment facts say the same (both unknown counts as the same). */
export function sameFacts(a: SegmentFacts | undefined, b: SegmentFacts | undefined): boolean {
  return a === b || (!!a && !!b && a.decision === b.decision && a.violating === b.violating);
}

/** A segment's facts from every item claiming it: known only when all are decided and agree. */
export function segmentFacts(claims: readonly (SegmentFacts | undefined)[]): SegmentFacts | undefined {
  if (claims.length === 0 || claims.some((f) => !f)) return undefined;
  const [first] = claims;
  return claims.every((f) => sameFacts(f, first)) ? { decision: first!.decision, violating: first!.violating } : undefined;
}

/**
 * Segments by (stream, segment number) within one slice. A segment claimed by two items that
 * disagree (or where either is undecided) is treated as unknown: missing evidence never fires.
 */
export class StreamIndex {
  private readonly streams = new Map<string, Map<number, SegmentFacts | undefined>>();

  /** Index every live item of a slice; thresholdOf gives each item's effective threshold. */
  static fromItems(items: Iterable<EvalItem>, thresholdOf: (item: EvalItem) => number): StreamIndex {
    const index = new StreamIndex();
    for (const item of items) {
      if (item.live) index.add(item.live.stream_id, item.live.segment, decisionFacts(item, thresholdOf(item)));
    }
    return index;
  }

  add(streamId: string, segment: number, facts: SegmentFacts | undefined): void {
    let stream = this.streams.get(streamId);
    if (!stream) this.streams.set(streamId, (stream = new Map()));
    if (stream.has(segment)) {
      const prior = stream.get(segment);
      const same = prior && facts && prior.decision === facts.decision && prior.violating === facts.violating;
      if (!same) stream.set(segment, undefined);
      return;
    }
    stream.set(segment, facts ? { decision: facts.decision, violating: facts.violating } : undefined);
  }

  /** Segments n−1 and n+1, each only when indexed and decided. */
  neighbours(streamId: string, segment: number): { prev?: SegmentFacts; next?: SegmentFacts } {
    const stream = this.streams.get(streamId);
    const out: { prev?: SegmentFacts; next?: SegmentFacts } = {};
    const prev = stream?.get(segment - 1);
    const next = stream?.get(segment + 1);
    if (prev) out.prev = prev;
    if (next) out.next = next;
    return out;
  }
}
