// D1 as the item store's write buffer (store/partition/evict.ts): what is evicted and what is not,
// the guard of the eviction batch, the optimistic guard of two writers planned from the
// partition's copy, a bulk edit (consensus, GPU backend) of evicted items, and the item cache
// forgetting before the quiet period ends.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { syncSlice, committedSlice } from '../../../functions/store/partition/sync.ts';
import { partitionOf } from '../../../functions/store/partition/stub.ts';
import { EVICT_QUIET_MS, evictCopied, evictSlice, type EvictCandidate } from '../../../functions/store/partition/evict.ts';
import { findSlices, readRecords, rediagnose, type Editor } from '../../../functions/store/items/editor.ts';
import { planSliceEdit } from '../../../functions/store/items/slice-edit.ts';
import { planDeliveries } from '../../../functions/labels/apply.ts';
import { abortOf } from '../../../functions/store/guards.ts';
import { cacheGet, cachePut, itemCache, itemKey, ITEM_CACHE_TTL_MS } from '../../../functions/store/items/cache.ts';
import type { Bindings } from '../../../functions/env.ts';
import { item, submit } from '../helpers.ts';
import { ev, expectCountersMatchStore, slicePk, storedRecords } from '../labels/webhooks-helpers.ts';
import { sleep, waitFor } from './world.ts';

const R = 'EE';
const MODEL = { id: 'ev', version: '1', stage: 'production' } as const;
const bindings = env as unknown as Bindings;
const later = () => Date.now() + EVICT_QUIET_MS + 60_000;

async function slice(sliceId: string) {
  return (await findSlices(env.DB, [{ region: R, slice_id: sliceId }])).get(`${R}\u0000${sliceId}`)!;
}
async function d1Rows(pk: number) {
  return (await env.DB.prepare('SELECT (SELECT count(*) FROM item_chunks WHERE slice_pk = ?1) + (SELECT count(*) FROM item_overlays WHERE slice_pk = ?1) AS n')
    .bind(pk).first<{ n: number }>())!.n;
}
async function candidate(sliceId: string): Promise<EvictCandidate> {
  return (await env.DB.prepare(`SELECT s.pk, s.region, s.slice_id, s.model_id, s.model_version, s.items, p.version, p.evictions
    FROM slices s JOIN partition_sync p ON p.region = s.region AND p.slice_id = s.slice_id WHERE s.region = ? AND s.slice_id = ?`).bind(R, sliceId).first<EvictCandidate>())!;
}
const items = (prefix: string, n: number) => Array.from({ length: n }, (_, k) =>
  item(`${prefix}${k}`, { label: { violating: k % 3 === 0 }, prediction: { score: (k % 10) / 10 } }));

beforeAll(async () => {
  for (const s of ['e-a', 'e-b', 'e-c', 'e-d']) expect((await submit(R, { slice_id: s, model: MODEL, items: items(`${s}-`, 30) })).status).toBe(201);
  // Each commit's own sync message (the partition queue): settled before the tests edit anything.
  await waitFor(() => env.DB.prepare(`SELECT count(*) AS n FROM partition_sync WHERE region = ?`).bind(R).first<{ n: number }>(), (r) => r?.n === 4);
  await sleep(200);
});

describe('eviction of D1\'s copy of a slice', () => {
  it('waits for the quiet period, and leaves a slice edited since its sync, or one its partition is short of', async () => {
    // Synced just now: not quiet yet.
    expect(await evictCopied(bindings, 100)).toEqual({ slices: 0, items: 0, skipped: 0 });
    // e-b edited after its sync (its version moved past the watermark): not a candidate.
    const b = await slice('e-b');
    const plan = await planDeliveries(bindings, [{ vendor: 'v', deliveryId: 'eb-1', events: [ev(R, 'e-b', 'e-b-1', true)] }], 100, false);
    await env.DB.batch(plan.statements as [D1PreparedStatement]);
    // e-c's partition lost a row (and its count): the check refuses.
    await runInDurableObject(partitionOf(env, R, MODEL.id, MODEL.version), (_o, state) => {
      const at = `slice_id = 'e-c' AND item_id = 'e-c-0'`;
      state.storage.sql.exec(`UPDATE cell_counts SET n = n - 1 WHERE (slice_id, policy, outcome, primary_code) =
        (SELECT slice_id, policy, outcome, coalesce(primary_code, '') FROM items WHERE ${at})`);
      state.storage.sql.exec(`DELETE FROM items WHERE ${at}`);
    });
    expect((await partitionOf(env, R, MODEL.id, MODEL.version).sliceHeld('e-c')).items).toBe(29);
    const out = await evictCopied(bindings, 100, later());
    expect(out).toEqual({ slices: 2, items: 60, skipped: 1 }); // e-a and e-d; e-c skipped
    expect(await d1Rows(await slicePk(R, 'e-a'))).toBe(0);
    expect(await d1Rows(b.pk)).toBeGreaterThan(0);
    expect(await d1Rows(await slicePk(R, 'e-c'))).toBeGreaterThan(0);
    // Once e-b is synced again and quiet, it goes too.
    await syncSlice(bindings, (await committedSlice(env.DB, R, 'e-b'))!);
    expect(await evictCopied(bindings, 100, later())).toMatchObject({ slices: 1, items: 30 });
    await expectCountersMatchStore(b.pk);
  });

  it('its batch is guarded: a candidate read before an edit, or before another eviction, deletes nothing', async () => {
    const c = await candidate('e-c');
    // Restore e-c's partition (a whole sync), then read the candidate, then edit the slice.
    await syncSlice(bindings, (await committedSlice(env.DB, R, 'e-c'))!);
    const fresh = await candidate('e-c');
    expect(fresh.version).toBe(c.version);
    const plan = await planDeliveries(bindings, [{ vendor: 'v', deliveryId: 'ec-1', events: [ev(R, 'e-c', 'e-c-2', true)] }], 100, false);
    await env.DB.batch(plan.statements as [D1PreparedStatement]);
    const pk = await slicePk(R, 'e-c');
    const rowsBefore = await d1Rows(pk);
    expect(await evictSlice(bindings, fresh)).toBe(false);
    expect(await d1Rows(pk)).toBe(rowsBefore);
    // After a sync the current candidate goes, and the same candidate again (evictions moved) does nothing.
    await syncSlice(bindings, (await committedSlice(env.DB, R, 'e-c'))!);
    const now = await candidate('e-c');
    expect(await evictSlice(bindings, now)).toBe(true);
    expect(await d1Rows(pk)).toBe(0);
    expect(await evictSlice(bindings, now)).toBe(false);
    await expectCountersMatchStore(pk);
  });
});

describe('writes to evicted items', () => {
  it('two writers planned from the partition\'s copy: the second to commit is refused (stale-item) and applies after a re-read', async () => {
    const pk = await slicePk(R, 'e-a');
    expect(await d1Rows(pk)).toBe(0);
    const first = await planDeliveries(bindings, [{ vendor: 'v', deliveryId: 'w-1', events: [ev(R, 'e-a', 'e-a-4', true)] }], 100, false);
    const second = await planDeliveries(bindings, [{ vendor: 'v', deliveryId: 'w-2', events: [ev(R, 'e-a', 'e-a-4', false, { annotator: 'b' })] }], 100, false);
    await env.DB.batch(first.statements as [D1PreparedStatement]);
    let err: unknown;
    await env.DB.batch(second.statements as [D1PreparedStatement]).catch((e) => { err = e; });
    expect(abortOf(err)).toBe('stale-item');
    await expectCountersMatchStore(pk);
    // Re-planned, it reads the overlay row the first wrote (rev 1) and writes rev 2.
    const again = await planDeliveries(bindings, [{ vendor: 'v', deliveryId: 'w-2', events: [ev(R, 'e-a', 'e-a-4', false, { annotator: 'b' })] }], 100, false);
    await env.DB.batch(again.statements as [D1PreparedStatement]);
    const row = await env.DB.prepare('SELECT rev FROM item_overlays WHERE slice_pk = ? AND item_id = ?').bind(pk, 'e-a-4').first<{ rev: number }>();
    expect(row?.rev).toBe(2);
    await expectCountersMatchStore(pk);
  });

  it('a bulk edit (consensus run, GPU backend job) of evicted items writes overlay rows, counters equal to a recount', async () => {
    const s = await slice('e-d');
    expect(await d1Rows(s.pk)).toBe(0);
    const rescored = (score: number): Editor => (rec) => rediagnose(rec, { ...rec.i, prediction: { score } }, rec.c);
    const plan = await planSliceEdit(bindings, s, new Map([['e-d-1', rescored(0.95)], ['e-d-3', rescored(0.05)], ['missing', rescored(0.5)]]));
    expect([...plan.found].sort()).toEqual(['e-d-1', 'e-d-3']);
    await env.DB.batch(plan.statements as [D1PreparedStatement]);
    plan.committed();
    const { results } = await env.DB.prepare('SELECT item_id, rev FROM item_overlays WHERE slice_pk = ? ORDER BY item_id').bind(s.pk).all();
    expect(results).toEqual([{ item_id: 'e-d-1', rev: 1 }, { item_id: 'e-d-3', rev: 1 }]);
    expect(plan.written.map((w) => [w.rec.i.item_id, w.orev])).toEqual(expect.arrayContaining([['e-d-1', 1], ['e-d-3', 1]]));
    const stored = await storedRecords(s.pk);
    expect(stored.get('e-d-1')!.i.prediction?.score).toBe(0.95);
    expect(stored.size).toBe(30);
    await expectCountersMatchStore(s.pk);
  });
});

describe('the item cache', () => {
  it('forgets a location after ITEM_CACHE_TTL_MS, well before an eviction could make it unsafe', async () => {
    expect(ITEM_CACHE_TTL_MS * 4).toBeLessThanOrEqual(EVICT_QUIET_MS);
    const s = await slice('e-b');
    const { locs } = await readRecords(bindings, s, ['e-b-5'], false);
    const loc = locs.get('e-b-5')!;
    cachePut(s.pk, 'e-b-5', loc, 100);
    expect(cacheGet(s.pk, 'e-b-5')).toBe(loc);
    itemCache.get(itemKey(s.pk, 'e-b-5'))!.at = Date.now() - ITEM_CACHE_TTL_MS - 1;
    expect(cacheGet(s.pk, 'e-b-5')).toBeUndefined();
    expect(itemCache.has(itemKey(s.pk, 'e-b-5'))).toBe(false);
  });
});
