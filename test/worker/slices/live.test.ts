// TMP.FLIP across a slice (SPEC §4): a live segment whose decision differs from both
// neighbouring segments of the same stream in the same slice, whose labels equal its own.
// Items arrive in any order; the processor holds a live item until its neighbours are seen.
import { describe, it, expect } from 'vitest';
import { api } from '../helpers.ts';
import { uid } from '../reference.ts';

const MODEL = { id: 'avlm-live', version: '1', stage: 'production' } as const;
const REGION = 'MX';

/** A hate.slur (T 0.5) live segment. */
function seg(stream: string, n: number, violating: boolean | null, score: number, over: Record<string, unknown> = {}) {
  return {
    item_id: `${stream}-${n}${over.suffix ?? ''}`, surface: 'live', policy: 'hate.slur',
    ...(violating === null ? {} : { label: { violating } }),
    prediction: { score },
    live: { stream_id: stream, segment: n },
    ...over,
  };
}

async function sendNdjson(sliceId: string, items: unknown[]) {
  const body = [{ slice_id: sliceId, model: MODEL }, ...items].map((x) => JSON.stringify(x)).join('\n') + '\n';
  const r = await api(`/v1/regions/${REGION}/slices`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  expect(r.status, JSON.stringify(r.data)).toBe(201);
  return r.data;
}

const getItem = async (sliceId: string, itemId: string) => {
  const r = await api(`/v1/regions/${REGION}/slices/${sliceId}/items/${itemId}`);
  expect(r.status, itemId).toBe(200);
  return r.data;
};

/** Stream: labels all violating; segments 0,1,3,4 flagged (TP), segment 2 missed (FN). */
const flipStream = (s: string) => [0, 1, 2, 3, 4].map((n) => seg(s, n, true, n === 2 ? 0.1 : 0.9));
const order = <T>(xs: T[], idx: number[]) => idx.map((i) => xs[i]);

describe('TMP.FLIP', () => {
  it('judges a stream per policy: another policy on the same segments neither hides nor fakes a flip', async () => {
    const sliceId = uid('policies');
    const hate = flipStream('st-p');
    // spam.scam (T 0.6) on the same stream and segments, all decided alike (TN).
    const spam = [0, 1, 2, 3, 4].map((n) => seg('st-p', n, false, 0.1, { policy: 'spam.scam', suffix: '-spam' }));
    const data = await sendNdjson(sliceId, [hate[0], spam[0], hate[1], spam[1], spam[2], hate[2], spam[3], hate[3], spam[4], hate[4]]);
    expect(data).toMatchObject({ items: 10, failures: 1, by_signature: { 'TMP.FLIP': 1 } });
    expect(await getItem(sliceId, 'st-p-2')).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect(await getItem(sliceId, 'st-p-2-spam')).toMatchObject({ outcome: 'TN', primary: null });
  });

  it('segments 0..4 in shuffled order: the segment whose decision differs from 1 and 3 is TMP.FLIP', async () => {
    const sliceId = uid('flip');
    const s = flipStream('st-a');
    const data = await sendNdjson(sliceId, order(s, [3, 0, 2, 4, 1]));
    expect(data).toMatchObject({ items: 5, failures: 1, excluded: 0, pending: 0, by_signature: { 'TMP.FLIP': 1 } });
    const it2 = await getItem(sliceId, 'st-a-2');
    expect(it2).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect(it2.secondary).toEqual([{
      code: 'TMP.FLIP',
      evidence: { stream_id: 'st-a', segment: 2, decision: false, prev_decision: true, next_decision: true, label: true },
    }]);
    expect(it2.item).toEqual(s[2]);
    for (const n of [0, 1, 3, 4]) expect(await getItem(sliceId, `st-a-${n}`)).toMatchObject({ outcome: 'TP', primary: null });
  });

  it('held items: the flipped segment arrives first and its neighbours only later, between other items', async () => {
    const sliceId = uid('held');
    const s = flipStream('st-b');
    const other = (i: number) => ({ item_id: `vod-${i}`, surface: 'vod', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.1 } });
    const data = await sendNdjson(sliceId, [s[2], other(1), s[4], other(2), s[0], other(3), s[3], other(4), s[1]]);
    expect(data).toMatchObject({ items: 9, failures: 1, by_signature: { 'TMP.FLIP': 1 } });
    expect((await getItem(sliceId, 'st-b-2')).primary).toBe('TMP.FLIP');
    // Held items are stored like any other.
    for (const n of [0, 1, 3, 4]) expect((await getItem(sliceId, `st-b-${n}`)).outcome).toBe('TP');
    expect((await getItem(sliceId, 'vod-3')).outcome).toBe('TN');
  });

  it('a false alarm between two correct negatives is TMP.FLIP too, with THR.MARGIN as a secondary', async () => {
    const sliceId = uid('flip-fp');
    const items = [seg('st-c', 7, false, 0.1), seg('st-c', 9, false, 0.2), seg('st-c', 8, false, 0.55)];
    const data = await sendNdjson(sliceId, items);
    expect(data).toMatchObject({ items: 3, failures: 1, by_signature: { 'TMP.FLIP': 1 } });
    const d = await getItem(sliceId, 'st-c-8');
    expect(d.outcome).toBe('FP');
    expect(d.secondary.map((x: any) => x.code)).toEqual(['TMP.FLIP', 'THR.MARGIN']);
  });

  it('a missing neighbour never fires: the segment falls back to UNPROBED', async () => {
    const sliceId = uid('gap');
    // Segment 3 is absent; the held segment 2 is released at the end of the slice.
    const data = await sendNdjson(sliceId, [seg('st-d', 2, true, 0.1), seg('st-d', 1, true, 0.9), seg('st-d', 4, true, 0.9)]);
    expect(data).toMatchObject({ items: 3, failures: 1, by_signature: { UNPROBED: 1 } });
    expect((await getItem(sliceId, 'st-d-2')).primary).toBe('UNPROBED');
  });

  it('a neighbour with another label or a pending neighbour: no flip', async () => {
    const sliceId = uid('noflip');
    const items = [
      // st-e: next neighbour's label differs.
      seg('st-e', 0, true, 0.9), seg('st-e', 1, true, 0.1), seg('st-e', 2, false, 0.1),
      // st-f: prev neighbour pending (no label).
      seg('st-f', 0, null, 0.9), seg('st-f', 1, true, 0.1), seg('st-f', 2, true, 0.9),
    ];
    const data = await sendNdjson(sliceId, items);
    // Failures: st-e-1 (FN), st-f-1 (FN) — both UNPROBED, neither TMP.FLIP.
    expect(data).toMatchObject({ items: 6, failures: 2, pending: 1 });
    expect(data.by_signature).toEqual({ UNPROBED: 2 });
    for (const id of ['st-e-1', 'st-f-1']) expect((await getItem(sliceId, id)).primary, id).toBe('UNPROBED');
  });

  it('a segment claimed twice with different decisions is unknown when it arrives before the item it neighbours', async () => {
    const sliceId = uid('dup-first');
    // Both claims of segment 2 arrive before segment 1 is complete: segment 2 is unknown → no flip.
    const data = await sendNdjson(sliceId, [
      seg('st-g', 2, true, 0.9), seg('st-g', 2, true, 0.2, { suffix: 'b' }), seg('st-g', 0, true, 0.9), seg('st-g', 1, true, 0.1),
    ]);
    expect(data).toMatchObject({ items: 4, failures: 2 });
    expect(data.by_signature).toEqual({ UNPROBED: 2 }); // st-g-1 and st-g-2b
  });

  // Regression: a live item used to be released as soon as both neighbouring segments had been
  // seen once, so a later, disagreeing claim of a neighbour could not make it unknown any more:
  // [0, 1, 2, 2b] gave st-k-1 TMP.FLIP while [2b, 0, 1, 2] gave UNPROBED.
  it('the diagnosis does not depend on the order of the lines (duplicate segment claims)', async () => {
    const items = [seg('st-k', 0, true, 0.9), seg('st-k', 1, true, 0.1), seg('st-k', 2, true, 0.9), seg('st-k', 2, true, 0.2, { suffix: 'b' })];
    const a = await sendNdjson(uid('ord-a'), items);
    const b = await sendNdjson(uid('ord-b'), [items[3], items[0], items[1], items[2]]);
    expect(a.by_signature).toEqual({ UNPROBED: 2 }); // st-k-1 and st-k-2b
    expect(b.by_signature).toEqual(a.by_signature);
  });

  it('neighbours in another stream or another slice do not count', async () => {
    const first = uid('x1');
    const second = uid('x2');
    // Stream st-h's segments 1 and 3 go in one slice, segment 2 in the next.
    await sendNdjson(first, [seg('st-h', 1, true, 0.9), seg('st-h', 3, true, 0.9), seg('st-i', 2, true, 0.1)]);
    const data = await sendNdjson(second, [seg('st-h', 2, true, 0.1), seg('st-j', 1, true, 0.9), seg('st-j', 3, true, 0.9)]);
    expect(data).toMatchObject({ items: 3, failures: 1, by_signature: { UNPROBED: 1 } });
  });
});

describe('TMP.LATE', () => {
  it('a live TP flagged more than 30 s after onset is a failure (TMP.LATE); exactly 30 s is not', async () => {
    const sliceId = uid('late');
    const data = await sendNdjson(sliceId, [
      seg('st-l', 0, true, 0.9, { live: { stream_id: 'st-l', segment: 0, onset_ms: 1000, flag_ms: 31001 } }),
      seg('st-m', 0, true, 0.9, { live: { stream_id: 'st-m', segment: 0, onset_ms: 1000, flag_ms: 31000 } }),
    ]);
    expect(data).toMatchObject({ items: 2, failures: 1, excluded: 0, by_signature: { 'TMP.LATE': 1 } });
    const late = await getItem(sliceId, 'st-l-0');
    expect(late).toMatchObject({ outcome: 'TP', failure: true, primary: 'TMP.LATE' });
    expect(late.secondary[0].evidence).toEqual({ onset_ms: 1000, flag_ms: 31001, delay_ms: 30001, max_delay_ms: 30000 });
    expect(await getItem(sliceId, 'st-m-0')).toMatchObject({ outcome: 'TP', failure: false, primary: null });
  });
});
