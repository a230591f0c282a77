// A label change on a live segment re-evaluates TMP.FLIP of the neighbouring segments (SPEC §4:
// a flip needs neighbours whose labels equal the item's own), and every counter follows.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk } from './webhooks-helpers.ts';

const R = 'CZ';
const MODEL = { id: 'avlm-live-labels', version: '1', stage: 'production' } as const;
const S = 'live-labels';
let secret: string;

/** Segment `seg` of stream `cz-1` (hate.slur, T 0.5): label violating, decision score ≥ 0.5. */
const seg = (n: number, score: number, violating = true, stream = 'cz-1', id = `s${n}`) =>
  item(id, { surface: 'live', label: { violating, source: 'internal' }, prediction: { score }, live: { stream_id: stream, segment: n } });

const getItem = async (id: string) => (await api(`/v1/regions/${R}/slices/${S}/items/${id}`)).data;
const summary = async () => (await api(`/v1/regions/${R}/slices/${S}`)).data;
const relabel = (id: string, violating: boolean, at: string) =>
  deliverStandard('live-vendor', secret, [ev(R, S, id, violating, { labelled_at: at })]);

beforeAll(async () => {
  secret = await createVendor('live-vendor');
  // s1 TP, s2 FN (decision false between two true decisions, all labels true → TMP.FLIP), s3 TP;
  // stream cz-2: segment 1 claimed twice (t1a, t1b) around t2 (FN), t0 and t3 elsewhere.
  const r = await submit(R, { slice_id: S, model: MODEL, items: [
    seg(1, 0.9), seg(2, 0.1), seg(3, 0.9),
    seg(0, 0.9, true, 'cz-2', 't0'), seg(1, 0.9, true, 'cz-2', 't1a'), seg(1, 0.8, true, 'cz-2', 't1b'), seg(2, 0.1, true, 'cz-2', 't2'), seg(3, 0.9, true, 'cz-2', 't3'),
  ] });
  expect(r.status).toBe(201);
  expect(r.data.by_signature['TMP.FLIP']).toBe(2); // s2 and t2
});

describe('relabelling a neighbour of a flipped segment', () => {
  it('s1 → not violating: s2 no longer flips (its neighbours\' labels differ from its own); counters follow', async () => {
    expect(await getItem('s2')).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    const d = await relabel('s1', false, '2026-11-20T00:00:00Z');
    expect(d.data).toMatchObject({ applied: 1, relabelled: 1 });
    expect(await getItem('s1')).toMatchObject({ outcome: 'FP', item: { label: { violating: false } } });
    const s2 = await getItem('s2');
    expect(s2.outcome).toBe('FN');
    expect(s2.primary).not.toBe('TMP.FLIP');
    expect(s2.secondary.map((x: { code: string }) => x.code)).not.toContain('TMP.FLIP');
    expect((await summary()).by_signature['TMP.FLIP']).toBe(1);
    expect(await getItem('s3')).toMatchObject({ outcome: 'TP', primary: null });
    await expectCountersMatchStore(await slicePk(R, S));
  });

  it('s1 → violating again: s2 flips again, with the evidence of both neighbours', async () => {
    await relabel('s1', true, '2026-11-21T00:00:00Z');
    const s2 = await getItem('s2');
    expect(s2).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect(s2.secondary[0].evidence).toMatchObject({ stream_id: 'cz-1', segment: 2, prev_decision: true, next_decision: true, label: true });
    expect((await summary()).by_signature['TMP.FLIP']).toBe(2);
    await expectCountersMatchStore(await slicePk(R, S));
  });

  it('a segment claimed twice counts only when both claims agree: relabelling one claim of it breaks the flip next door, relabelling the other back restores it', async () => {
    expect(await getItem('t2')).toMatchObject({ primary: 'TMP.FLIP' });
    await relabel('t1b', false, '2026-11-22T00:00:00Z'); // claims of segment 1 now disagree
    expect((await getItem('t2')).primary).not.toBe('TMP.FLIP');
    await relabel('t1b', true, '2026-11-23T00:00:00Z');
    expect(await getItem('t2')).toMatchObject({ primary: 'TMP.FLIP' });
    expect((await summary()).by_signature['TMP.FLIP']).toBe(2);
    await expectCountersMatchStore(await slicePk(R, S));
  });

  it('a label event that does not change the segment\'s facts leaves the neighbours alone', async () => {
    const before = await getItem('s2');
    const d = await deliverStandard('live-vendor', secret, [ev(R, S, 's1', true, { annotator: 'a1', labelled_at: '2026-11-24T00:00:00Z' })]);
    expect(d.data).toMatchObject({ applied: 1, relabelled: 0 });
    expect(await getItem('s2')).toEqual(before);
  });
});
