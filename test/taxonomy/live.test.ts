// Live neighbours for TMP.FLIP: decision facts, the stream index, and the end-to-end path.
import { describe, expect, it } from 'vitest';
import { StreamIndex, decisionFacts, segmentFacts } from '../../taxonomy/live.ts';
import { diagnoseItem, effectiveThreshold } from '../../taxonomy/diagnose.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

const seg = (segment: number, violating: boolean | undefined, score: number, stream_id = 's1'): EvalItem => ({
  item_id: `${stream_id}-${segment}`, surface: 'live', policy: 'violence.graphic',
  ...(violating === undefined ? {} : { label: { violating } }),
  prediction: { score },
  live: { stream_id, segment },
});
const YES = { decision: true, violating: true };
const NO = { decision: false, violating: true };

describe('decisionFacts', () => {
  it('gives decision and label of a decided item, score at T counting as positive', () => {
    expect(decisionFacts(seg(0, true, 0.5), 0.5)).toEqual({ decision: true, violating: true });
    expect(decisionFacts(seg(0, false, 0.49), 0.5)).toEqual({ decision: false, violating: false });
  });
  it('is undefined for a pending item', () => {
    expect(decisionFacts(seg(0, undefined, 0.9), 0.5)).toBeUndefined();
  });
});

describe('StreamIndex', () => {
  it('returns segments n−1 and n+1 of the same stream', () => {
    const idx = new StreamIndex();
    idx.add('s1', 1, YES);
    idx.add('s1', 2, NO);
    idx.add('s1', 3, YES);
    idx.add('s2', 2, NO);
    expect(idx.neighbours('s1', 2)).toEqual({ prev: YES, next: YES });
    expect(idx.neighbours('s1', 1)).toEqual({ next: NO });
    expect(idx.neighbours('s1', 3)).toEqual({ prev: NO });
    expect(idx.neighbours('s2', 3)).toEqual({ prev: NO });
    expect(idx.neighbours('s3', 2)).toEqual({});
  });
  it('leaves out undecided neighbours', () => {
    const idx = new StreamIndex();
    idx.add('s1', 1, undefined);
    idx.add('s1', 3, YES);
    expect(idx.neighbours('s1', 2)).toEqual({ next: YES });
  });
  it('a segment claimed twice is known only when both claims agree', () => {
    const idx = new StreamIndex();
    idx.add('s1', 1, YES);
    idx.add('s1', 1, { ...YES });
    idx.add('s1', 3, YES);
    idx.add('s1', 3, NO);
    idx.add('s1', 3, YES); // once conflicting, stays unknown
    expect(idx.neighbours('s1', 2)).toEqual({ prev: YES });
  });
  it('copies the facts it is given', () => {
    const idx = new StreamIndex();
    const f = { decision: true, violating: true };
    idx.add('s1', 1, f);
    f.decision = false;
    expect(idx.neighbours('s1', 2).prev).toEqual(YES);
  });
});

describe('TMP.FLIP end to end', () => {
  it('flags the one segment whose decision flickers between two agreeing neighbours', () => {
    const items = [seg(0, true, 0.9), seg(1, true, 0.2), seg(2, true, 0.8), seg(3, true, 0.1), seg(0, true, 0.1, 's2')];
    const idx = StreamIndex.fromItems(items, (i) => effectiveThreshold(i));
    const primaries = items.map((i) => diagnoseItem(i, {
      threshold: effectiveThreshold(i), neighbours: idx.neighbours(i.live!.stream_id, i.live!.segment),
    }).primary);
    // seg 1: FN between two TPs → flip; seg 3: FN with only a left neighbour → unprobed; s2 has no neighbours.
    expect(primaries).toEqual([null, 'TMP.FLIP', null, 'UNPROBED', 'UNPROBED']);
  });
});

describe('segmentFacts (a segment from all its claims)', () => {
  const T = { decision: true, violating: true };
  const F = { decision: false, violating: true };
  it('one decided claim is the segment', () => expect(segmentFacts([T])).toEqual(T));
  it('agreeing claims are the segment', () => expect(segmentFacts([T, { ...T }])).toEqual(T));
  it('claims that disagree on the decision or the label are unknown', () => {
    expect(segmentFacts([T, F])).toBeUndefined();
    expect(segmentFacts([T, { decision: true, violating: false }])).toBeUndefined();
  });
  it('an undecided claim (no label) or no claim at all is unknown', () => {
    expect(segmentFacts([T, undefined])).toBeUndefined();
    expect(segmentFacts([])).toBeUndefined();
  });
  it('agrees with StreamIndex on the same claims', () => {
    const idx = new StreamIndex();
    for (const f of [T, { ...T }]) idx.add('s', 1, f);
    for (const f of [T, F]) idx.add('s', 3, f);
    expect(idx.neighbours('s', 2)).toEqual({ prev: segmentFacts([T, T]) });
    expect(segmentFacts([T, F])).toBeUndefined();
  });
});
