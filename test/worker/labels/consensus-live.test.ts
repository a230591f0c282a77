// The consensus run relabelling a live segment re-evaluates TMP.FLIP of the neighbouring
// segments, as a label event does (labels-live.test.ts): their stored neighbour facts, their
// diagnoses and every counter (slice summary, slice_aggregates, aggregates) follow.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk, snapshot, storedRecords } from './webhooks-helpers.ts';
import { rows } from '../reference.ts';
import { parseRecords } from '../../../functions/store/items/format.ts';

const R = 'SK';
const MODEL = { id: 'avlm-consensus-live', version: '1', stage: 'production' } as const;
const S = 'consensus-live';

/** Three annotators voting the same way: consensus is certain of it. */
const votes = (violating: boolean) => ['cl-a', 'cl-b', 'cl-c'].map((annotator) => ({ annotator, violating }));

/** Segment `n` of `stream` (hate.slur, T 0.5): decision = score ≥ 0.5; `v`: votes inside the item. */
const seg = (id: string, stream: string, n: number, score: number, violating: boolean, v?: boolean) =>
  item(id, {
    surface: 'live', prediction: { score }, live: { stream_id: stream, segment: n },
    label: { violating, source: 'internal', ...(v === undefined ? {} : { votes: votes(v) }) },
  });

// a: a1's label (true) is outvoted → false; a2 (FN between two true decisions) loses its flip.
// b: b1's label (false) is outvoted → true; b2 (FN, an overlay row) gains its flip.
// c: as a, but c2 is voted itself (its label confirmed): edited by consensus and as a neighbour.
const ITEMS = [
  seg('a1', 'a', 1, 0.9, true, false), seg('a2', 'a', 2, 0.1, true), seg('a3', 'a', 3, 0.9, true),
  seg('b1', 'b', 1, 0.9, false, true), seg('b2', 'b', 2, 0.1, true), seg('b3', 'b', 3, 0.9, true),
  seg('c1', 'c', 1, 0.9, true, false), seg('c2', 'c', 2, 0.1, true, true), seg('c3', 'c', 3, 0.9, true),
];

const getItem = async (id: string) => (await api(`/v1/regions/${R}/slices/${S}/items/${id}`)).data;
const summary = async () => (await api(`/v1/regions/${R}/slices/${S}`)).data;
const scorecard = async () => (await api(`/v1/regions/${R}/scorecard?model=${MODEL.id}&version=${MODEL.version}`)).data;
const consensus = async () => {
  const r = await api('/v1/admin/consensus', { method: 'POST', json: {} });
  expect(r.status).toBe(200);
  return r.data;
};

/** The items whose stored primary signature is TMP.FLIP, read straight from D1. */
async function flipping(): Promise<string[]> {
  const recs = await storedRecords(await slicePk(R, S));
  return [...recs].filter(([, rec]) => rec.d.primary === 'TMP.FLIP').map(([id]) => id).sort();
}

const scorecardFlips = async () => (await scorecard()).by_signature.find((x: { code: string }) => x.code === 'TMP.FLIP')?.count ?? 0;

beforeAll(async () => {
  const r = await submit(R, { slice_id: S, model: MODEL, items: ITEMS });
  expect(r.status).toBe(201);
  // b2 gets an overlay row: an adjudication confirming its label (its segment's facts unchanged).
  const secret = await createVendor('cl-vendor');
  const d = await deliverStandard('cl-vendor', secret, [ev(R, S, 'b2', true, { labelled_at: '2026-11-20T00:00:00Z' })]);
  expect(d.data).toMatchObject({ applied: 1, relabelled: 0, items_changed: 1 });
  expect(await rows('SELECT item_id FROM item_overlays WHERE slice_pk = ?', await slicePk(R, S))).toEqual([{ item_id: 'b2' }]);
});

describe('consensus relabels live segments', () => {
  it('before: submitted labels stand, a2 and c2 flip, b2 does not', async () => {
    expect(await getItem('a1')).toMatchObject({ outcome: 'TP', item: { label: { violating: true } } });
    expect(await getItem('b1')).toMatchObject({ outcome: 'FP', item: { label: { violating: false } } });
    for (const id of ['a2', 'c2']) expect(await getItem(id), id).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect((await getItem('b2')).primary).not.toBe('TMP.FLIP');
    expect(await flipping()).toEqual(['a2', 'c2']);
    expect((await summary()).by_signature['TMP.FLIP']).toBe(2);
    expect(await scorecardFlips()).toBe(2);
  });

  it('the run flips a1, b1 and c1; the neighbours\' stored facts, diagnoses and counters follow', async () => {
    const run = await consensus();
    expect(run.relabelled).toBe(3);
    expect(await getItem('a1')).toMatchObject({ outcome: 'FP', item: { label: { violating: false, source: 'consensus' } } });
    expect(await getItem('b1')).toMatchObject({ outcome: 'TP', item: { label: { violating: true, source: 'consensus' } } });
    expect(await getItem('c1')).toMatchObject({ outcome: 'FP', item: { label: { violating: false, source: 'consensus' } } });

    const recs = await storedRecords(await slicePk(R, S));
    // The neighbour facts of segment 1 as now labelled (segment 3 unchanged).
    expect(recs.get('a2')!.n).toEqual({ prev: { decision: true, violating: false }, next: { decision: true, violating: true } });
    expect(recs.get('b2')!.n).toEqual({ prev: { decision: true, violating: true }, next: { decision: true, violating: true } });
    expect(recs.get('c2')!.n).toEqual({ prev: { decision: true, violating: false }, next: { decision: true, violating: true } });
    // c2 was voted too: its posterior is stored along with its new neighbour facts.
    expect(recs.get('c2')!.c).toBeGreaterThan(0.5);

    for (const id of ['a2', 'c2']) {
      const it = await getItem(id);
      expect(it.outcome, id).toBe('FN');
      expect(it.secondary.map((x: { code: string }) => x.code), id).not.toContain('TMP.FLIP');
    }
    const b2 = await getItem('b2');
    expect(b2).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP', item: { label: { violating: true, adjudicated: true } } });
    expect(b2.secondary[0].evidence).toMatchObject({ stream_id: 'b', segment: 2, prev_decision: true, next_decision: true, label: true });

    // Only b2 flips now: the slice summary and the region's scorecard say so.
    expect(await flipping()).toEqual(['b2']);
    expect((await summary()).by_signature['TMP.FLIP']).toBe(1);
    expect(await scorecardFlips()).toBe(1);
    await expectCountersMatchStore(await slicePk(R, S));
  });

  it('running it again changes nothing (the neighbours are settled)', async () => {
    const before = await snapshot();
    expect(await consensus()).toMatchObject({ items_changed: 0, relabelled: 0 });
    expect(await snapshot()).toBe(before);
  });
});

describe('a slice of several parts', () => {
  const W = 'consensus-live-wide';
  const STREAMS = 60;
  const VOTED = 3; // streams w0 … w2: segment 1 outvoted
  const ids = (n: number) => Array.from({ length: VOTED }, (_, k) => `w${k}-${n}`);
  const pk = () => slicePk(R, W);

  /** item id → its part ("bucket/part"), read straight from D1. */
  async function partsOf(): Promise<Map<string, string>> {
    const rs = await rows<{ bucket: number; part: number; data: string }>('SELECT bucket, part, data FROM item_chunks WHERE slice_pk = ?', await pk());
    return new Map(rs.flatMap((r) => parseRecords(r.data).map((rec) => [rec.i.item_id, `${r.bucket}/${r.part}`] as const)));
  }

  beforeAll(async () => {
    // Every stream as `a` above (segment 2 flips), the first VOTED with segment 1 outvoted. Ingest
    // stores a segment once both neighbours are known: segments 2 land in later parts than 1.
    const items = Array.from({ length: STREAMS }, (_, k) => [
      seg(`w${k}-1`, `w${k}`, 1, 0.9, true, k < VOTED ? false : undefined), seg(`w${k}-2`, `w${k}`, 2, 0.1, true), seg(`w${k}-3`, `w${k}`, 3, 0.9, true),
    ]).flat();
    const r = await submit(R, { slice_id: W, model: { ...MODEL, id: 'avlm-consensus-live-wide' }, items });
    expect(r.status).toBe(201);
    expect(r.data.by_signature['TMP.FLIP']).toBe(STREAMS);
  });

  it('neighbours in parts holding no relabelled item are rewritten too', async () => {
    const where = await partsOf();
    const editedParts = new Set(ids(1).map((id) => where.get(id)));
    // The case under test is there: some segment 2 sits in a part no segment 1 voted is in.
    expect(ids(2).filter((id) => !editedParts.has(where.get(id))).length).toBeGreaterThan(0);
    await consensus();
    const recs = await storedRecords(await pk());
    for (const id of ids(2)) {
      expect(recs.get(id)!.n?.prev, id).toEqual({ decision: true, violating: false });
      expect(recs.get(id)!.d.primary, id).not.toBe('TMP.FLIP');
    }
    const flipping = [...recs.values()].filter((rec) => rec.d.primary === 'TMP.FLIP');
    expect(flipping).toHaveLength(STREAMS - VOTED);
    expect((await api(`/v1/regions/${R}/slices/${W}`)).data.by_signature['TMP.FLIP']).toBe(STREAMS - VOTED);
    await expectCountersMatchStore(await pk());
  });
});
