// The migration into the item partitions (issue 14): a database written by today's code —
// items, overlays from label deliveries, GPU backend edits, live neighbours — with its
// partitions emptied and no watermark (as a deployed instance before stage 1), moved by
// POST /v1/admin/partitions/sync a slice per call (resumable), then read back whole from the
// partitions: every item, every field, equal to the D1 read.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { featuresFor } from '../../../gpu-backend/model/spec.ts';
import { policyIndex } from '../../../taxonomy/policies.ts';
import { api, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk, storedRecords } from '../labels/webhooks-helpers.ts';
import { partitionOf } from '../../../functions/store/partition/sync.ts';
import type { StoredItem } from '../../../functions/store/items/format.ts';
import { submitWorld, waitFor, sleep, type Expected } from './world.ts';

const R = 'GH';
const V1 = { id: 'mig', version: '1', stage: 'sft' };
const V2 = { id: 'mig', version: '2', stage: 'sft' };
const SLICES: Array<[string, typeof V1]> = [['m-plain', V1], ['m-gpu', V1], ['m-live', V1], ['m-v2', V2]];
const drowned = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.05, text: 0.05 });
const live = (id: string, segment: number, score: number, violating: boolean) =>
  item(id, { surface: 'live', label: { violating, source: 'internal' }, prediction: { score, threshold: 0.5 }, probes: { text_only: 0.1 },
    live: { stream_id: 'st-1', segment, onset_ms: 0, flag_ms: 1000 } });

/** Every row of a slice in its partition, by item_id. */
async function partitionRecords(sliceId: string, model: typeof V1) {
  const stub = partitionOf(env, R, model.id, model.version);
  const rows = await stub.records(sliceId, '', 100_000);
  return new Map(rows.map((r) => [r.item_id, JSON.parse(r.record) as StoredItem]));
}

async function expectPartitionEqualsD1() {
  for (const [sliceId, model] of SLICES) {
    const d1 = await storedRecords(await slicePk(R, sliceId));
    const part = await partitionRecords(sliceId, model);
    expect([...part.keys()].sort(), sliceId).toEqual([...d1.keys()].sort());
    for (const [id, rec] of d1) expect(part.get(id), `${sliceId}/${id}`).toEqual(rec);
    // The listing's columns, from the same records.
    const listed = (await api(`/v1/regions/${R}/items?model=${model.id}&version=${model.version}&slice_id=${sliceId}&limit=1000`)).data.items;
    expect(listed.length).toBe(d1.size);
    for (const x of listed) {
      const rec = d1.get(x.item_id)!;
      expect(x).toEqual({
        slice_id: sliceId, item_id: rec.i.item_id, policy: rec.i.policy, outcome: rec.d.outcome, primary: rec.d.primary,
        score: rec.i.prediction?.score ?? null, threshold: rec.t, language: rec.i.language ?? null, surface: rec.i.surface,
      });
    }
  }
}

/** A label event that changes the item: the opposite of its label (a pending item gets one). */
const flip = (e: Expected) => ev(R, e.slice_id, e.item_id, !(e.outcome === 'TP' || e.outcome === 'FN'));
let plain: Expected[] = [];

beforeAll(async () => {
  plain = await submitWorld(R, 'm-plain', V1, 41);
  const gpu = await submit(R, { slice_id: 'm-gpu', model: V1, items: [
    item('g1', { label: { violating: true, evidence: ['audio'] }, prediction: undefined, features: drowned() }),
    item('g2', { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.05 }, features: drowned() }),
    item('g3', { label: { violating: false }, prediction: { score: 0.1 } }),
  ] });
  expect(gpu.data.status).toBe('probing');
  expect((await submit(R, { slice_id: 'm-live', model: V1, items: [live('l0', 0, 0.9, true), live('l1', 1, 0.2, true), live('l2', 2, 0.9, true)] })).status).toBe(201);
  const v2 = await submitWorld(R, 'm-v2', V2, 23, 5);
  const done = await waitFor(() => api(`/v1/regions/${R}/slices/m-gpu`), (x) => x.data.status === 'complete');
  expect(done.data.status).toBe('complete');
  // Labels after ingest: overlay rows, and a live neighbour re-diagnosed with them.
  const secret = await createVendor('mig-vendor');
  const r = await deliverStandard('mig-vendor', secret, [
    flip(plain[1]), flip(plain[7]), ev(R, 'm-live', 'l1', false), flip(v2[2]),
  ]);
  // l1's label change re-diagnoses its neighbours' TMP.FLIP too.
  expect(r.data.items_changed).toBeGreaterThanOrEqual(4);
  // Today's syncs have run (every slice watermarked at its current version)…
  await waitFor(() => api('/v1/admin/partitions/sync?max_items=1', { method: 'POST' }), (x) => x.data.slices === 0);
  await sleep(300);
  // …then the instance as it was before stage 1: empty partitions, no watermark.
  for (const m of [V1, V2]) {
    await runInDurableObject(partitionOf(env, R, m.id, m.version), (_o, state) => { state.storage.sql.exec('DELETE FROM items'); state.storage.sql.exec('DELETE FROM cell_counts'); });
  }
  await env.DB.prepare('DELETE FROM partition_sync').run();
});

describe('migration into the item partitions', () => {
  it('moves every slice, one per call when asked (resumable), and reads back whole: every item, every field, equal to D1', async () => {
    expect((await partitionRecords('m-plain', V1)).size).toBe(0);
    const calls: any[] = [];
    for (let k = 0; k < 10; k++) {
      const r = await api('/v1/admin/partitions/sync?max_items=1', { method: 'POST' });
      expect(r.status).toBe(200);
      calls.push(r.data);
      if (r.data.remaining === 0) break;
    }
    expect(calls.map((c) => c.slices)).toEqual([1, 1, 1, 1]);
    expect(calls.map((c) => c.remaining)).toEqual([3, 2, 1, 0]);
    await expectPartitionEqualsD1();
    // Idempotent: nothing is left to do, and a second pass changes nothing.
    expect((await api('/v1/admin/partitions/sync', { method: 'POST' })).data)
      .toEqual({ slices: 0, items: 0, failed: 0, remaining: 0, evicted: { slices: 0, items: 0, skipped: 0 } });
  });

  it('a slice edited after its watermark is synced again (the catch-up for a lost message)', async () => {
    const secret = await createVendor('mig-vendor-2');
    const target = plain[12];
    const before = (await partitionRecords('m-plain', V1)).get(target.item_id)!;
    const r = await deliverStandard('mig-vendor-2', secret, [ev(R, 'm-plain', target.item_id, !before.i.label?.violating)]);
    expect(r.data.items_changed).toBe(1);
    const again = await api('/v1/admin/partitions/sync', { method: 'POST' });
    expect(again.data).toMatchObject({ slices: 1, remaining: 0 });
    await sleep(300); // the delivery's own sync message, if still in flight
    await expectPartitionEqualsD1();
    expect((await partitionRecords('m-plain', V1)).get(target.item_id)!.i.label?.violating).toBe(!before.i.label?.violating);
  });

  it('then evicts D1\'s copy: D1 holds none of the items, every item reads back whole, and edits of evicted items keep every guarantee', async () => {
    // Nothing goes while the slices are recent (synced moments ago).
    expect((await api('/v1/admin/partitions/sync', { method: 'POST' })).data.evicted).toEqual({ slices: 0, items: 0, skipped: 0 });
    const pks = await Promise.all(SLICES.map(([id]) => slicePk(R, id)));
    const before = await Promise.all(pks.map((pk) => storedRecords(pk)));
    const bodies = async () => Promise.all(SLICES.map(async ([sliceId], k) => Promise.all([...before[k].keys()].sort().map(async (id) => {
      const r = await api(`/v1/regions/${R}/slices/${sliceId}/items/${encodeURIComponent(id)}`);
      expect(r.status, `${sliceId}/${id}`).toBe(200);
      return r.data;
    }))));
    const answers = await bodies();
    // Quiet for longer than the eviction waits (as if 15 minutes had passed since the syncs).
    await env.DB.prepare(`UPDATE partition_sync SET synced_at = '2000-01-01T00:00:00.000Z'`).run();
    const r = await api('/v1/admin/partitions/sync', { method: 'POST' });
    const total = before.reduce((n, m) => n + m.size, 0);
    expect(r.data.evicted).toEqual({ slices: SLICES.length, items: total, skipped: 0 });
    const held = await env.DB.prepare(`SELECT (SELECT count(*) FROM item_chunks WHERE slice_pk IN (SELECT value FROM json_each(?1)))
      + (SELECT count(*) FROM item_overlays WHERE slice_pk IN (SELECT value FROM json_each(?1))) AS n`).bind(JSON.stringify(pks)).first<{ n: number }>();
    expect(held!.n).toBe(0);
    // Read back whole: every record and every answer as before.
    for (const [k, pk] of pks.entries()) expect(await storedRecords(pk)).toEqual(before[k]);
    expect(await bodies()).toEqual(answers);
    await expectPartitionEqualsD1();
    for (const pk of pks) await expectCountersMatchStore(pk);

    // A label on an evicted item, and one on a live item (its neighbours are evicted too).
    const secret = await createVendor('mig-vendor-3');
    const target = plain[20];
    const was = before[0].get(target.item_id)!;
    const l0 = before[2].get('l0')!;
    const d = await deliverStandard('mig-vendor-3', secret, [ev(R, 'm-plain', target.item_id, !was.i.label?.violating), ev(R, 'm-live', 'l1', true)]);
    expect(d.data).toMatchObject({ applied: 2, parked: 0 });
    expect(d.data.items_changed).toBe(2);
    const overlay = await env.DB.prepare('SELECT rev FROM item_overlays WHERE slice_pk = ? AND item_id = ?').bind(pks[0], target.item_id).first<{ rev: number }>();
    expect(overlay?.rev).toBe(1); // the record came from a part: its first overlay row
    const now = (await api(`/v1/regions/${R}/slices/m-plain/items/${target.item_id}`)).data;
    expect(now.item.label.violating).toBe(!was.i.label?.violating);
    // l1's neighbour l0, read from its partition, was diagnosed again with l1's new facts.
    expect((await storedRecords(pks[2])).get('l0')!.n).not.toEqual(l0.n);
    expect((await storedRecords(pks[2])).get('l0')!.n?.next).toMatchObject({ violating: true });
    for (const pk of pks) await expectCountersMatchStore(pk);
    await sleep(300); // the partitions' copy of the delivery (after its answer)
    await expectPartitionEqualsD1();

    // Synced again (version moved from the evicted 0), evicted again, then edited again: the
    // overlay rev continues from the one the partition's version holds.
    const again = await api('/v1/admin/partitions/sync', { method: 'POST' });
    expect(again.data).toMatchObject({ slices: 2, remaining: 0 });
    await env.DB.prepare(`UPDATE partition_sync SET synced_at = '2000-01-01T00:00:00.000Z'`).run();
    expect((await api('/v1/admin/partitions/sync', { method: 'POST' })).data.evicted).toMatchObject({ slices: 2, skipped: 0 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM item_overlays').first<{ n: number }>()).toEqual({ n: 0 });
    const d2 = await deliverStandard('mig-vendor-3', secret, [ev(R, 'm-plain', target.item_id, !!was.i.label?.violating)]);
    expect(d2.data.items_changed).toBe(1);
    const overlay2 = await env.DB.prepare('SELECT rev FROM item_overlays WHERE slice_pk = ? AND item_id = ?').bind(pks[0], target.item_id).first<{ rev: number }>();
    expect(overlay2?.rev).toBe(2);
    expect((await api(`/v1/regions/${R}/slices/m-plain/items/${target.item_id}`)).data.item.label.violating).toBe(!!was.i.label?.violating);
    for (const pk of pks) await expectCountersMatchStore(pk);
  });
});
