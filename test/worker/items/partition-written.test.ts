// A label delivery writes the records it changed (its live neighbours' too) into their item
// partition itself, after its answer, with each item's version — no partition-sync message and
// no D1 re-read; if the partition call fails, a sync message is sent instead and the consumer
// brings the rows up to date. Rows are ordered by per-item versions (rows.ts itemVersion), which
// beat the slice-sum versions the first syncs stored.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { createApp } from '../../../functions/app.ts';
import type { Bindings, PartitionSyncMessage } from '../../../functions/env.ts';
import { partitionOf, syncItems, syncSlice, syncWritten, committedSlice } from '../../../functions/store/partition/sync.ts';
import { handlePartitionSyncs } from '../../../functions/store/partition/sync-consumer.ts';
import { itemVersion } from '../../../functions/store/partition/rows.ts';
import { findSlices, rediagnose, type Editor } from '../../../functions/store/items/editor.ts';
import { planSliceEdit } from '../../../functions/store/items/slice-edit.ts';
import { sliceVersion } from '../../../functions/store/items/slice-read.ts';
import { parseRecords, type StoredItem } from '../../../functions/store/items/format.ts';
import { api, item, submit } from '../helpers.ts';
import { createVendor, ev, nowS, signStandard, slicePk, storedRecords } from '../labels/webhooks-helpers.ts';
import { waitFor } from './world.ts';

const R = 'CZ';
const MODEL = { id: 'pw', version: '1', stage: 'production' } as const;
const S = 'pw-live';
const VENDOR = 'pw-vendor';
let secret: string;

/** Segment n of stream st-1 (hate.slur, T 0.5): label violating, decision score ≥ 0.5. */
const seg = (n: number, score: number, id = `s${n}`) =>
  item(id, { surface: 'live', label: { violating: true, source: 'internal' }, prediction: { score }, live: { stream_id: 'st-1', segment: n } });

const bindings = env as unknown as Bindings;
const partition = () => partitionOf(env, R, MODEL.id, MODEL.version);

/** The partition's rows of the slice: item_id → record and version. */
async function rows(): Promise<Map<string, { rec: StoredItem; ver: number }>> {
  const got = await partition().records(S, '', 1000);
  return new Map(got.map((r) => [r.item_id, { rec: JSON.parse(r.record) as StoredItem, ver: r.ver }]));
}

/** The overlay rev of each relabelled item, from D1. */
async function overlayRevs(): Promise<Map<string, number>> {
  const { results } = await env.DB.prepare('SELECT item_id, rev FROM item_overlays WHERE slice_pk = ?').bind(await slicePk(R, S)).all<{ item_id: string; rev: number }>();
  return new Map(results.map((r) => [r.item_id, r.rev]));
}

/** A queue that keeps what is sent to it (nothing is consumed). */
function keptQueue() {
  const sent: PartitionSyncMessage[] = [];
  const q = {
    send: async (body: PartitionSyncMessage) => { sent.push(body); },
    sendBatch: async (msgs: Iterable<{ body: PartitionSyncMessage }>) => { for (const m of msgs) sent.push(m.body); },
  };
  return { sent, q: q as unknown as Bindings['PARTITION_QUEUE'] };
}

/** A signed delivery through the Worker's app with `over` replacing bindings; waits for its
 *  work after the answer (waitUntil) to end. */
async function deliverWith(over: Partial<Bindings>, events: unknown[]) {
  const body = JSON.stringify({ events });
  const id = `pw_${Date.now()}_${Math.random()}`;
  const ts = nowS();
  const req = new Request(`http://avlm.test/v1/webhooks/labels/${VENDOR}`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signStandard(secret, id, ts, body) },
  });
  const ctx = createExecutionContext();
  const res = await createApp().fetch(req, { ...bindings, ...over }, ctx);
  const data = await res.json() as Record<string, unknown>;
  await waitOnExecutionContext(ctx);
  return { status: res.status, data };
}

/** Every row of the slice holds its item's current record in D1 with that record's version. */
async function expectRowsCurrent(ids: string[]) {
  const stored = await storedRecords(await slicePk(R, S));
  const revs = await overlayRevs();
  const got = await rows();
  for (const id of ids) {
    expect(got.get(id)?.rec, id).toEqual(stored.get(id));
    expect(revs.has(id), `${id} has an overlay row`).toBe(true);
    expect(got.get(id)?.ver, id).toBe(itemVersion(revs.get(id)!, -1));
  }
}

beforeAll(async () => {
  secret = await createVendor(VENDOR);
  // s2 flips between s1 and s3 (TMP.FLIP): relabelling s1 changes s2's record too.
  const r = await submit(R, { slice_id: S, model: MODEL, items: [seg(1, 0.9), seg(2, 0.1), seg(3, 0.9), seg(7, 0.9, 'lone')] });
  expect(r.status).toBe(201);
  expect(r.data.by_signature['TMP.FLIP']).toBe(1);
  // The slice's own sync (after its commit) has copied it.
  await waitFor(() => rows(), (m) => m.size === 4);
});

describe('a label delivery writes its partition rows itself', () => {
  it('the changed item and its live neighbour are in the partition right after the answer, with no sync message sent', async () => {
    const before = await rows();
    expect(before.get('s2')!.rec.d.primary).toBe('TMP.FLIP');
    const { sent, q } = keptQueue();
    const d = await deliverWith({ PARTITION_QUEUE: q }, [ev(R, S, 's1', false, { labelled_at: '2026-11-20T00:00:00Z' })]);
    expect(d.status).toBe(200);
    expect(d.data).toMatchObject({ applied: 1, relabelled: 1 });
    expect(sent).toEqual([]);
    const after = await rows();
    expect(after.get('s1')!.rec.i.label?.violating).toBe(false);
    expect(after.get('s1')!.rec.d.outcome).toBe('FP');
    // The neighbour's flip is gone in its row as in D1.
    expect(after.get('s2')!.rec.d.primary).not.toBe('TMP.FLIP');
    await expectRowsCurrent(['s1', 's2']);
    // Unchanged items keep their rows.
    expect(after.get('lone')).toEqual(before.get('lone'));
    // The listing (cell_counts) follows: s1 is now a false positive.
    const fp = await api(`/v1/regions/${R}/items?model=${MODEL.id}&version=${MODEL.version}&outcome=FP&limit=10`);
    expect(fp.data.items.map((x: { item_id: string }) => x.item_id)).toEqual(['s1']);
  });

  it('a failing partition call falls back to a sync message, and the consumer then brings the rows up to date', async () => {
    const { sent, q } = keptQueue();
    const tried: number[] = [];
    const broken = {
      idFromName: (n: string) => env.ITEM_PARTITIONS.idFromName(n),
      get: () => ({ upsert: async (r: unknown[]) => { tried.push(r.length); throw new Error('partition unavailable'); } }),
    } as unknown as Bindings['ITEM_PARTITIONS'];
    const d = await deliverWith({ PARTITION_QUEUE: q, ITEM_PARTITIONS: broken }, [ev(R, S, 's1', true, { labelled_at: '2026-11-21T00:00:00Z' })]);
    expect(d.data).toMatchObject({ applied: 1, relabelled: 1 });
    expect(tried).toEqual([2]); // s1 and its neighbour s2, in one call
    // Not in the partition yet: the row still has the former record.
    expect((await rows()).get('s1')!.rec.i.label?.violating).toBe(false);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'partition-sync', region: R, sliceId: S });
    expect([...sent[0].itemIds!].sort()).toEqual(['s1', 's2']);
    const out = await handlePartitionSyncs(bindings, sent);
    expect(out.every((g) => g.error === undefined)).toBe(true);
    const after = await rows();
    expect(after.get('s1')!.rec.i.label?.violating).toBe(true);
    expect(after.get('s2')!.rec.d.primary).toBe('TMP.FLIP');
    await expectRowsCurrent(['s1', 's2']);
  });
});

describe('rows are ordered by per-item versions', () => {
  it('an older write arriving after a newer one leaves the newer row, in either order', async () => {
    // A slice of its own in the partition, so that the listing of S stays as D1 has it.
    const slice = { ...(await findSlices(env.DB, [{ region: R, slice_id: S }])).get(`${R}\u0000${S}`)!, slice_id: 'pw-order' };
    const base = (await rows()).get('lone')!.rec;
    const held = async () => (await partition().records('pw-order', '', 10))[0];
    const score = async () => (JSON.parse((await held()).record) as StoredItem).i.prediction?.score;
    const v = (score: number): StoredItem => ({ ...base, i: { ...base.i, prediction: { score } } });
    // Overlay rev 2 (newer) then 1 (older); then part rev 3 after overlay rev 1.
    await syncWritten(bindings, [{ slice, rec: v(0.21), orev: 2, prev: -1 }]);
    await syncWritten(bindings, [{ slice, rec: v(0.11), orev: 1, prev: -1 }]);
    expect(await score()).toBe(0.21);
    expect((await held()).ver).toBe(itemVersion(2, -1));
    // Older first, then newer: the newer replaces it.
    await syncWritten(bindings, [{ slice, rec: v(0.31), orev: 3, prev: -1 }]);
    expect(await score()).toBe(0.31);
    // A part's record (however high its part's rev) never replaces an overlay's.
    await syncWritten(bindings, [{ slice, rec: v(0.41), orev: 0, prev: 1000 }]);
    expect(await score()).toBe(0.31);
    // The same version again replaces (a repeated write of the same record).
    await syncWritten(bindings, [{ slice, rec: v(0.32), orev: 3, prev: -1 }]);
    expect(await score()).toBe(0.32);
  });

  it('a row stored with a slice-sum version (the former syncs) is replaced by a per-item write, and the watermark stays the slice version', async () => {
    const slice = (await committedSlice(env.DB, R, S))!;
    const base = (await rows()).get('lone')!.rec;
    // The row as the former code stored it: a slice-sum version (a large slice whose parts were
    // rewritten a few times sums to millions), here with another score (the same cell).
    const formerRow = (score: number) => runInDurableObject(partition(), (_o, state) => {
      state.storage.sql.exec('UPDATE items SET record = ?, score = ?, ver = ? WHERE slice_id = ? AND item_id = ?',
        JSON.stringify({ ...base, i: { ...base.i, prediction: { score } } }), score, 5_000_000, S, 'lone');
    });
    await formerRow(0.99);
    expect((await rows()).get('lone')!.ver).toBe(5_000_000);
    await syncItems(bindings, slice, ['lone']);
    let row = (await rows()).get('lone')!;
    expect(row.rec).toEqual((await storedRecords(slice.pk)).get('lone'));
    expect(row.ver).toBe(itemVersion(0, 0));
    // And through a whole-slice sync: per-item rows, the watermark the slice's sum.
    await formerRow(0.98);
    await syncSlice(bindings, slice);
    row = (await rows()).get('lone')!;
    expect(row.rec).toEqual((await storedRecords(slice.pk)).get('lone'));
    const mark = await env.DB.prepare('SELECT version FROM partition_sync WHERE region = ? AND slice_id = ?').bind(R, S).first<{ version: number }>();
    expect(mark?.version).toBe(await sliceVersion(env.DB, slice.pk));
    await expectRowsCurrent(['s1', 's2']);
  });
});

describe('a bulk edit (GPU backend job) writes its partition rows with the revs it committed', () => {
  it('an item in a part gets its part\'s new rev, an item with an overlay row its new overlay rev; the rows equal D1', async () => {
    const slice = (await findSlices(env.DB, [{ region: R, slice_id: S }])).get(`${R}\u0000${S}`)!;
    const rescored = (score: number): Editor => (rec) => rediagnose(rec, { ...rec.i, prediction: { score } }, rec.c);
    const plan = await planSliceEdit(env, slice, new Map([['lone', rescored(0.77)], ['s3', rescored(0.88)], ['s1', rescored(0.66)]]));
    await env.DB.batch(plan.statements as [D1PreparedStatement, ...D1PreparedStatement[]]);
    plan.committed();
    const byId = new Map(plan.written.map((w) => [w.rec.i.item_id, w]));
    expect([...byId.keys()].sort()).toEqual(['lone', 's1', 's3']);
    // The revs the rows have in D1 now.
    const revs = await overlayRevs();
    const partRev = async (id: string) => {
      const { results } = await env.DB.prepare('SELECT rev, data FROM item_chunks WHERE slice_pk = ?').bind(slice.pk).all<{ rev: number; data: string }>();
      return results.find((r) => parseRecords(r.data).some((x) => x.i.item_id === id))!.rev;
    };
    expect(byId.get('s1')).toMatchObject({ orev: revs.get('s1') });
    for (const id of ['lone', 's3']) {
      expect(revs.has(id)).toBe(false);
      expect(byId.get(id)).toMatchObject({ orev: 0, prev: await partRev(id) });
      expect(byId.get(id)!.prev).toBeGreaterThan(0);
    }
    const { sent, q } = keptQueue();
    await syncWritten({ ...bindings, PARTITION_QUEUE: q }, plan.written);
    expect(sent).toEqual([]);
    const stored = await storedRecords(slice.pk);
    const got = await rows();
    for (const id of ['lone', 's3', 's1']) {
      expect(got.get(id)?.rec, id).toEqual(stored.get(id));
      expect(got.get(id)?.ver, id).toBe(itemVersion(byId.get(id)!.orev, byId.get(id)!.prev));
    }
    expect(got.get('lone')!.rec.i.prediction?.score).toBe(0.77);
  });
});
