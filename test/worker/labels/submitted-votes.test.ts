// Votes inside submitted items (`label.votes`) are kept at the slice's commit (submitted_votes)
// and counted by consensus and annotator quality as vendor "(submitted)"; a vendor's vote of the
// same annotator on the same item wins; nothing is written for a refused or repeated slice.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { bigSliceBody } from '../big-slice.ts';
import { createVendor, deliverStandard, ev } from './webhooks-helpers.ts';
import { expectError, rows } from '../reference.ts';

const R = 'HU';
const MODEL = { id: 'avlm-votes', version: '1', stage: 'production' } as const;
const vote = (annotator: string, violating: boolean) => ({ annotator, violating });
/** The slice's submitted votes as stored: [item_id, annotator, 0|1], sorted. */
const votesOf = async (sliceId: string) => (await rows<{ data: string }>('SELECT data FROM submitted_votes WHERE region = ? AND slice_id = ? ORDER BY seq', R, sliceId))
  .flatMap((r) => JSON.parse(r.data) as Array<[string, string, number]>).sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
const vendorVotes = (sliceId: string) => rows<{ item_id: string; annotator: string; vendor: string; violating: number }>(
  'SELECT item_id, annotator, vendor, violating FROM votes WHERE region = ? AND slice_id = ? ORDER BY item_id, annotator', R, sliceId);
/** An annotator's figures after a consensus run. */
async function annotator(id: string) {
  expect((await api('/v1/admin/consensus', { method: 'POST', json: {} })).status).toBe(200);
  const a = await api(`/v1/annotators/${id}`);
  expect(a.status).toBe(200);
  return a.data;
}
let secret: string;

beforeAll(async () => { secret = await createVendor('votes-vendor'); });

describe('a slice whose items carry votes', () => {
  const S = 'with-votes';
  const items = [
    item('v1', { label: { violating: false, votes: [vote('ann-a', true), vote('ann-b', true), vote('ann-c', false)] } }),
    item('v2', { label: { violating: true, votes: [vote('ann-a', true), vote('ann-b', false), vote('ann-d', true)] } }),
    item('plain'),
  ];

  it('→ kept with the slice, one entry per (item, annotator); the votes table (vendors\' votes) untouched', async () => {
    const r = await submit(R, { slice_id: S, model: MODEL, items });
    expect(r.status).toBe(201);
    expect(await votesOf(S)).toEqual([
      ['v1', 'ann-a', 1], ['v1', 'ann-b', 1], ['v1', 'ann-c', 0],
      ['v2', 'ann-a', 1], ['v2', 'ann-b', 0], ['v2', 'ann-d', 1],
    ]);
    expect(await vendorVotes(S)).toEqual([]);
  });

  it('the same slice again → 200 and nothing new', async () => {
    expect((await submit(R, { slice_id: S, model: MODEL, items })).status).toBe(200);
    expect(await votesOf(S)).toHaveLength(6);
  });

  it('consensus and annotator quality count them, as vendor "(submitted)"', async () => {
    const b = await annotator('ann-b');
    expect(b.votes).toBe(2);
    expect(b.vendors).toEqual([expect.objectContaining({ vendor: '(submitted)', votes: 2 })]);
  });

  it('a later vendor vote of the same annotator on the same item counts instead of the submitted one', async () => {
    const d = await deliverStandard('votes-vendor', secret, [ev(R, S, 'v1', false, { annotator: 'ann-a' })]);
    expect(d.data).toMatchObject({ applied: 1 });
    const a = await annotator('ann-a');
    expect(a.votes).toBe(2); // v1 (the vendor's) and v2 (submitted)
    expect(a.vendors.map((v: { vendor: string; votes: number }) => [v.vendor, v.votes]).sort()).toEqual([['(submitted)', 1], ['votes-vendor', 1]]);
  });
});

describe('other paths', () => {
  it('a vote a vendor sent before the slice arrived is kept; the submitted vote of that annotator is not written', async () => {
    const S = 'parked-vote';
    const d = await deliverStandard('votes-vendor', secret, [ev(R, S, 'p1', false, { annotator: 'ann-a' })]);
    expect(d.data).toMatchObject({ parked: 1 });
    const r = await submit(R, { slice_id: S, model: MODEL, items: [item('p1', { label: { violating: true, votes: [vote('ann-a', true), vote('ann-b', true)] } })] });
    expect(r.status).toBe(201);
    expect(await votesOf(S)).toEqual([['p1', 'ann-b', 1]]);
    expect((await vendorVotes(S)).map((v) => [v.annotator, v.vendor, v.violating])).toEqual([['ann-a', 'votes-vendor', 0]]);
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
    expect(new Set(got.map((v) => v[0])).size).toBe(40);
  });
});
