// Votes inside submitted items count for the vendor the item names (`label.source`, SPEC §3),
// so GET /v1/vendors/{vendor}/quality covers a vendor whose votes only ever come inside items
// (the demo's vendor-nimbus). A small world: two unregistered vendors, three raters each, six
// items each; one vendor is noisy, and its agreement with the consensus is counted by hand.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev } from './webhooks-helpers.ts';
import { expectError, rows } from '../reference.ts';

const R = 'HU';
const MODEL = { id: 'avlm-vq', version: '1', stage: 'production' } as const;
const STEADY = 'vendor-steady';
const NOISY = 'vendor-noisy';
const LABELS = [true, false, true, false, true, false];
/** Items on which a rater votes against the label: a noisy rater on two, another on one. */
const DISSENT: Record<string, number[]> = { 'noisy-k1': [0, 1], 'noisy-k2': [2] };

/** Six items naming `vendor` as their source, each with a vote of every rater of that vendor. */
function itemsOf(vendor: string, raters: string[]) {
  return LABELS.map((violating, i) => item(`${vendor}-${i}`, { label: {
    violating, source: vendor,
    votes: raters.map((annotator) => ({ annotator, violating: DISSENT[annotator]?.includes(i) ? !violating : violating })),
  } }));
}

const quality = (vendor: string) => api(`/v1/vendors/${encodeURIComponent(vendor)}/quality`);
type Q = { annotator: string; votes: number; agreement: number };

beforeAll(async () => {
  const items = [...itemsOf(STEADY, ['steady-s1', 'steady-s2', 'steady-s3']), ...itemsOf(NOISY, ['noisy-k1', 'noisy-k2', 'noisy-k3'])];
  expect((await submit(R, { slice_id: 'vq', model: MODEL, items })).status).toBe(201);
  // A retry of the same slice stores nothing twice.
  expect((await submit(R, { slice_id: 'vq', model: MODEL, items })).status).toBe(200);
});

describe('votes submitted inside items, under the vendor the item names', () => {
  it('are stored with that vendor, once', async () => {
    const packed = (await rows<{ data: string }>('SELECT data FROM submitted_votes WHERE slice_id = ?', 'vq')).flatMap((r) => JSON.parse(r.data) as unknown[][]);
    expect(packed).toHaveLength(36);
    expect(packed.filter((v) => v[3] === STEADY)).toHaveLength(18);
    expect(packed.filter((v) => v[3] === NOISY)).toHaveLength(18);
  });

  it('the noisy vendor\'s quality route shows its lower agreement (15 of 18 votes), the steady one all 18', async () => {
    // Every item has a 3–0 or 2–1 majority, so the consensus is the label given. The noisy
    // vendor's raters dissent on 3 of their 18 votes: k1 on 2 of 6, k2 on 1 of 6, k3 never.
    const noisy = await quality(NOISY);
    expect(noisy.status).toBe(200);
    expect(noisy.data.vendor).toBe(NOISY);
    expect(noisy.data.summary).toMatchObject({ annotators: 3, votes: 18, items: 6 });
    expect(noisy.data.summary.agreement).toBeCloseTo(15 / 18, 10);
    const byRater = Object.fromEntries((noisy.data.annotators as Q[]).map((a) => [a.annotator, [a.votes, a.agreement]]));
    expect(byRater).toEqual({ 'noisy-k1': [6, 4 / 6], 'noisy-k2': [6, 5 / 6], 'noisy-k3': [6, 1] });

    const steady = await quality(STEADY);
    expect(steady.status).toBe(200);
    expect(steady.data.summary).toMatchObject({ annotators: 3, votes: 18, items: 6, agreement: 1 });
    expect(noisy.data.summary.accuracy).toBeLessThan(steady.data.summary.accuracy);
  });

  it('an annotator\'s figures name the item\'s vendor, not "(submitted)"', async () => {
    const a = await api('/v1/annotators/noisy-k1');
    expect(a.status).toBe(200);
    expect(a.data.vendors).toEqual([expect.objectContaining({ vendor: NOISY, votes: 6 })]);
  });

  it('a name no vote and no registration knows is 404 naming `vendor`', async () => {
    const e = expectError(await quality('vendor-nobody'), 404, 'not_found');
    expect(e.message).toContain('vendor');
    expect(e.message).toContain('vendor-nobody');
  });

  it('votes of an item without a source stay under "(submitted)"', async () => {
    const r = await submit(R, { slice_id: 'vq-nosource', model: MODEL, items: [
      item('n0', { label: { violating: true, votes: [{ annotator: 'anon-a', violating: true }] } }),
    ] });
    expect(r.status).toBe(201);
    const a = await api('/v1/annotators/anon-a');
    expect(a.data.vendors).toEqual([expect.objectContaining({ vendor: '(submitted)', votes: 1 })]);
  });

  it('a vendor\'s parked adjudication does not take over the submitted votes of the item it relabels', async () => {
    // The hook vendor's adjudication arrives before the slice and sets label.source to it at
    // ingest; the raters' votes inside the item still belong to the vendor the item named.
    const secret = await createVendor('vq-hook');
    const d = await deliverStandard('vq-hook', secret, [ev(R, 'vq-parked', 'p0', false)]);
    expect(d.data).toMatchObject({ parked: 1 });
    const r = await submit(R, { slice_id: 'vq-parked', model: MODEL, items: [
      item('p0', { label: { violating: true, source: STEADY, votes: [{ annotator: 'steady-p1', violating: true }] } }),
    ] });
    expect(r.status).toBe(201);
    const it0 = await api(`/v1/regions/${R}/slices/vq-parked/items/p0`);
    expect(it0.data.item.label).toMatchObject({ source: 'vq-hook', violating: false }); // the adjudication applied
    const a = await api('/v1/annotators/steady-p1');
    expect(a.data.vendors).toEqual([expect.objectContaining({ vendor: STEADY, votes: 1 })]);
  });
});
