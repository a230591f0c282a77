// A consensus run (and the parked events it drains first) writes the records it rewrote into
// their item partition itself, as label deliveries do — the partitions do not wait for the cron's
// catch-up. Checked with a partition queue that keeps its messages unconsumed.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { createApp } from '../../../functions/app.ts';
import type { Bindings, PartitionSyncMessage } from '../../../functions/env.ts';
import { partitionOf } from '../../../functions/store/partition/sync.ts';
import type { StoredItem } from '../../../functions/store/items/format.ts';
import { ADMIN, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev, slicePk, storedRecords } from '../labels/webhooks-helpers.ts';
import { waitFor } from './world.ts';

const R = 'SK';
const MODEL = { id: 'pc', version: '1', stage: 'production' } as const;
const S = 'pc-votes';
const VENDOR = 'pc-vendor';
const IDS = ['a', 'b', 'c', 'd'];

const rows = async () => new Map((await partitionOf(env, R, MODEL.id, MODEL.version).records(S, '', 1000))
  .map((r) => [r.item_id, JSON.parse(r.record) as StoredItem]));

beforeAll(async () => {
  const secret = await createVendor(VENDOR);
  const r = await submit(R, { slice_id: S, model: MODEL, items: IDS.map((id) => item(id, { label: { violating: true, source: 'internal' }, prediction: { score: 0.9 } })) });
  expect(r.status).toBe(201);
  await waitFor(() => rows(), (m) => m.size === IDS.length);
  // Three annotators say "benign" to a and b, "violating" to c; d gets no votes.
  for (const [k, annotator] of ['ann-1', 'ann-2', 'ann-3'].entries()) {
    const events = [ev(R, S, 'a', false, { annotator, labelled_at: `2026-11-2${k}T00:00:00Z` }), ev(R, S, 'b', false, { annotator, labelled_at: `2026-11-2${k}T00:00:01Z` }),
      ev(R, S, 'c', true, { annotator, labelled_at: `2026-11-2${k}T00:00:02Z` })];
    expect((await deliverStandard(VENDOR, secret, events)).status).toBe(200);
  }
});

describe('a consensus run writes its partition rows itself', () => {
  it('the rows hold the records it rewrote right after the answer, with no sync message sent', async () => {
    const sent: PartitionSyncMessage[] = [];
    const queue = { send: async (m: PartitionSyncMessage) => { sent.push(m); }, sendBatch: async (ms: Iterable<{ body: PartitionSyncMessage }>) => { for (const m of ms) sent.push(m.body); } };
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request('http://avlm.test/v1/admin/consensus', {
      method: 'POST', body: '{}', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    }), { ...(env as unknown as Bindings), PARTITION_QUEUE: queue as unknown as Bindings['PARTITION_QUEUE'] }, ctx);
    expect(res.status).toBe(200);
    const run = await res.json() as { items_changed: number };
    await waitOnExecutionContext(ctx);
    expect(run.items_changed).toBeGreaterThanOrEqual(3);
    expect(sent).toEqual([]);
    const stored = await storedRecords(await slicePk(R, S));
    const got = await rows();
    // The voted items carry the run's posterior, in D1 and in the partition alike.
    for (const id of ['a', 'b', 'c']) {
      expect(stored.get(id)!.c, id).toBeTypeOf('number');
      expect(got.get(id), id).toEqual(stored.get(id));
    }
    expect(stored.get('a')!.c!).toBeLessThan(0.5);
    expect(stored.get('c')!.c!).toBeGreaterThan(0.5);
    expect(got.get('d')).toEqual(stored.get('d'));
  });
});
