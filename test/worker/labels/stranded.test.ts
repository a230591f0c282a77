// Label events that arrive while their slice is still processing are parked after the ingest
// has read the parked events: they are applied right after the slice's commit (no admin
// call), and the cron applies any that are left.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, item, postHeldBack, submit } from '../helpers.ts';
import { bigSliceBody } from '../big-slice.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk } from './webhooks-helpers.ts';
import { rows } from '../reference.ts';
import worker from '../../../functions/index.ts';

const R = 'PL';
const MODEL = { id: 'avlm-stranded', version: '1', stage: 'production' } as const;
let secret: string;
const getItem = async (sliceId: string, id: string) => (await api(`/v1/regions/${R}/slices/${sliceId}/items/${id}`)).data;
const parkedFor = async (sliceId: string) => (await rows<{ n: number }>('SELECT count(*) AS n FROM pending_labels WHERE region = ? AND slice_id = ?', R, sliceId))[0].n;

beforeAll(async () => { secret = await createVendor('stranded-vendor'); });

describe('events parked while the slice streams in', () => {
  it('are applied right after the commit: the item relabelled and re-diagnosed, counters moved, nothing left parked', async () => {
    const sliceId = 'stranded-stream';
    const text = bigSliceBody(sliceId, MODEL);
    const held = postHeldBack(`/v1/regions/${R}/slices`, text, 2000, { 'content-type': 'application/x-ndjson' });
    await held.sent;
    // Wait until the slice is claimed (processing): the ingest has read the parked events by then.
    let status: string | undefined;
    for (let t = 0; t < 200 && status !== 'processing'; t++) {
      status = (await api(`/v1/regions/${R}/slices/${sliceId}`)).data?.status;
      if (status !== 'processing') await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe('processing');
    // b-4 is TN (label false, score 0.1); b-14 too. Both relabelled violating → FN.
    const d = await deliverStandard('stranded-vendor', secret, [
      ev(R, sliceId, 'b-4', true, { annotator: 'p1' }),
      ev(R, sliceId, 'b-14', true),
    ]);
    expect(d.data).toMatchObject({ duplicate: false, applied: 0, parked: 2 });
    await held.release();
    const r = await held.response;
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(await parkedFor(sliceId)).toBe(0);
    for (const id of ['b-4', 'b-14']) {
      expect(await getItem(sliceId, id)).toMatchObject({ outcome: 'FN', item: { label: { violating: true } } });
    }
    const g = (await api(`/v1/regions/${R}/slices/${sliceId}`)).data;
    expect(g.failures).toBe(r.data.failures + 2); // the 201 tells the commit; GET tells now
    await expectCountersMatchStore(await slicePk(R, sliceId));
  });
});

describe('the cron', () => {
  it('applies events left parked for a stored slice', async () => {
    const sliceId = 'stranded-cron';
    const s = await submit(R, { slice_id: sliceId, model: MODEL, items: [item('c1'), item('c2')] });
    expect(s.status).toBe(201);
    // As if the post-commit step had failed: a parked row for a complete slice.
    await env.DB.prepare('INSERT INTO pending_labels (region, slice_id, item_id, vendor, delivery_id, event, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(R, sliceId, 'c2', 'stranded-vendor', 'manual-1', JSON.stringify({ violating: true, labelled_at: '2026-11-20T00:00:00.000Z' }), '2026-11-20T00:00:00.000Z').run();
    expect(await parkedFor(sliceId)).toBe(1);
    await worker.scheduled({ cron: '*/10 * * * *', scheduledTime: Date.now(), noRetry() {} } as ScheduledController, env as never);
    expect(await parkedFor(sliceId)).toBe(0);
    expect(await getItem(sliceId, 'c2')).toMatchObject({ outcome: 'FN', item: { label: { violating: true } } });
    expect(await getItem(sliceId, 'c1')).toMatchObject({ outcome: 'TN' });
    await expectCountersMatchStore(await slicePk(R, sliceId));
  });
});
