// Votes inside submitted items (`label.votes`) join the votes table at the slice's commit
// (vendor "(submitted)"), so consensus and annotator quality see them; a vendor's vote of the
// same annotator on the same item wins; nothing is written for a refused or repeated slice.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from './helpers.ts';
import { bigSliceBody } from './big-slice.ts';
import { createVendor, deliverStandard, ev, slicePk } from './webhooks-helpers.ts';
import { expectError, rows } from './reference.ts';

const R = 'HU';
const MODEL = { id: 'avlm-votes', version: '1', stage: 'production' } as const;
const vote = (annotator: string, violating: boolean) => ({ annotator, violating });
interface VoteRow { item_id: string; annotator: string; vendor: string; violating: number; labelled_at: string; delivery_id: string }
const votesOf = (sliceId: string) => rows<VoteRow>('SELECT item_id, annotator, vendor, violating, labelled_at, delivery_id FROM votes WHERE region = ? AND slice_id = ? ORDER BY item_id, annotator', R, sliceId);
let secret: string;

beforeAll(async () => { secret = await createVendor('votes-vendor'); });

describe('a slice whose items carry votes', () => {
  const S = 'with-votes';
  const items = [
    item('v1', { label: { violating: false, votes: [vote('ann-a', true), vote('ann-b', true), vote('ann-c', false)] } }),
    item('v2', { label: { violating: true, votes: [vote('ann-a', true), vote('ann-b', false), vote('ann-d', true)] } }),
    item('plain'),
  ];

  it('→ one votes row per (item, annotator), vendor "(submitted)", at the slice\'s claim time', async () => {
    const r = await submit(R, { slice_id: S, model: MODEL, items });
    expect(r.status).toBe(201);
    const pk = await slicePk(R, S);
    const [slice] = await rows<{ created_at: string }>('SELECT created_at FROM slices WHERE pk = ?', pk);
    const got = await votesOf(S);
    expect(got.map((v) => [v.item_id, v.annotator, v.violating])).toEqual([
      ['v1', 'ann-a', 1], ['v1', 'ann-b', 1], ['v1', 'ann-c', 0],
      ['v2', 'ann-a', 1], ['v2', 'ann-b', 0], ['v2', 'ann-d', 1],
    ]);
    for (const v of got) expect(v).toMatchObject({ vendor: '(submitted)', labelled_at: slice.created_at, delivery_id: `slice:${pk}` });
  });

  it('the same slice again → 200 and no new rows', async () => {
    expect((await submit(R, { slice_id: S, model: MODEL, items })).status).toBe(200);
    expect(await votesOf(S)).toHaveLength(6);
  });

  it('consensus and annotator quality count them', async () => {
    const c = await api('/v1/admin/consensus', { method: 'POST', json: {} });
    expect(c.status).toBe(200);
    const a = await api('/v1/annotators/ann-b');
    expect(a.status).toBe(200);
    expect(a.data.votes).toBe(2);
    expect(a.data.vendors).toEqual([expect.objectContaining({ vendor: '(submitted)', votes: 2 })]);
  });

  it('a later vendor vote of the same annotator replaces the submitted one', async () => {
    const d = await deliverStandard('votes-vendor', secret, [ev(R, S, 'v1', false, { annotator: 'ann-a' })]);
    expect(d.data).toMatchObject({ applied: 1 });
    const a = (await votesOf(S)).find((v) => v.item_id === 'v1' && v.annotator === 'ann-a');
    expect(a).toMatchObject({ vendor: 'votes-vendor', violating: 0 });
  });
});

describe('other paths', () => {
  it('a vote a vendor sent before the slice arrived is kept; the submitted vote of that annotator is not written', async () => {
    const S = 'parked-vote';
    const d = await deliverStandard('votes-vendor', secret, [ev(R, S, 'p1', false, { annotator: 'ann-a' })]);
    expect(d.data).toMatchObject({ parked: 1 });
    const r = await submit(R, { slice_id: S, model: MODEL, items: [item('p1', { label: { violating: true, votes: [vote('ann-a', true), vote('ann-b', true)] } })] });
    expect(r.status).toBe(201);
    expect((await votesOf(S)).map((v) => [v.annotator, v.vendor, v.violating])).toEqual([['ann-a', 'votes-vendor', 0], ['ann-b', '(submitted)', 1]]);
  });

  it('a refused slice writes no votes', async () => {
    const S = 'refused-votes';
    const r = await submit(R, { slice_id: S, model: MODEL, items: [
      item('r1', { label: { violating: true, votes: [vote('ann-a', true)] } }),
      item('r2', { prediction: { score: 1.5 } }),
    ] });
    expectError(r, 400);
    expect(await votesOf(S)).toEqual([]);
  });

  it('a streamed slice writes its items\' votes too (40 items × 3 votes)', async () => {
    const S = 'streamed-votes';
    const r = await api(`/v1/regions/${R}/slices`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bigSliceBody(S, MODEL) });
    expect(r.status).toBe(201);
    const got = await votesOf(S);
    expect(got).toHaveLength(120);
    expect(new Set(got.map((v) => v.item_id)).size).toBe(40);
  });
});
