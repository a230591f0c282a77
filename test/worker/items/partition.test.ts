// The item partition itself: a row is replaced only by a read of the same or a newer slice
// version (two syncs of an item in flight at once may arrive in either order), and the listing
// order breaks a tie of created_at between slices by slice_id.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { ItemPartition } from '../../../functions/store/partition/item-partition.ts';
import { partitionOf } from '../../../functions/store/partition/sync.ts';
import { partitionRow } from '../../../functions/store/partition/rows.ts';
import { plainDiagnosis, type StoredItem } from '../../../functions/store/items/format.ts';

const rec = (id: string, violating: boolean, score: number): StoredItem => ({
  d: plainDiagnosis(violating ? (score >= 0.5 ? 'TP' : 'FN') : (score >= 0.5 ? 'FP' : 'TN')), t: 0.5,
  i: { item_id: id, surface: 'vod', policy: 'hate.slur', label: { violating, source: 'internal' }, prediction: { score } } as StoredItem['i'],
});

describe('item partition', () => {
  it('keeps the newer read: an older version arriving late changes nothing, the same version replaces', async () => {
    const stub = partitionOf(env, 'KE', 'unit', '1');
    const slice = { slice_id: 's', created_at: '2026-01-01T00:00:00.000Z' };
    await stub.upsert([partitionRow(slice, rec('x', true, 0.9), 5)]);
    await stub.upsert([partitionRow(slice, rec('x', false, 0.9), 3)]);
    let [row] = await stub.records('s', '', 10);
    expect(row.ver).toBe(5);
    expect((JSON.parse(row.record) as StoredItem).d.outcome).toBe('TP');
    await stub.upsert([partitionRow(slice, rec('x', false, 0.9), 5)]);
    [row] = await stub.records('s', '', 10);
    expect((JSON.parse(row.record) as StoredItem).d.outcome).toBe('FP');
    const page = await stub.list({ outcome: 'FP' }, null, 10, true);
    expect(page.total).toBe(1);
    expect((await stub.list({ outcome: 'TP' }, null, 10, true)).total).toBe(0);
  });

  it('a row that stays in its cell is rewritten in place at the same or a newer version only, and the counts stay exact when it moves', async () => {
    const stub = partitionOf(env, 'KE', 'unit', 'in-cell');
    const slice = { slice_id: 's', created_at: '2026-01-01T00:00:00.000Z' };
    const score = async () => (await stub.list({}, null, 10, false)).items.map((x) => [x.item_id, x.outcome, x.score]);
    await stub.upsert([partitionRow(slice, rec('x', true, 0.9), 5), partitionRow(slice, rec('y', false, 0.1), 5)]);
    await stub.upsert([partitionRow(slice, rec('x', true, 0.8), 4)]); // older: ignored
    expect(await score()).toEqual([['x', 'TP', 0.9], ['y', 'TN', 0.1]]);
    await stub.upsert([partitionRow(slice, rec('x', true, 0.7), 6)]); // newer, same cell
    expect(await score()).toEqual([['x', 'TP', 0.7], ['y', 'TN', 0.1]]);
    const [row] = await stub.records('s', '', 1);
    expect(row.ver).toBe(6);
    expect((JSON.parse(row.record) as StoredItem).i.prediction?.score).toBe(0.7);
    // Moving to another cell, then back, and a repeated write: the counts follow each move once.
    await stub.upsert([partitionRow(slice, rec('x', true, 0.2), 7)]);
    await stub.upsert([partitionRow(slice, rec('x', true, 0.2), 7)]);
    expect((await stub.list({ outcome: 'FN' }, null, 10, true)).total).toBe(1);
    expect((await stub.list({ outcome: 'TP' }, null, 10, true)).total).toBe(0);
    await stub.upsert([partitionRow(slice, rec('x', true, 0.95), 8)]);
    expect((await stub.list({ outcome: 'TP' }, null, 10, true)).total).toBe(1);
    expect((await stub.list({ outcome: 'FN' }, null, 10, true)).total).toBe(0);
    expect((await stub.list({}, null, 10, true)).total).toBe(2);
  });

  it('orders by slice created_at, then slice_id, then item_id', async () => {
    const stub = partitionOf(env, 'KE', 'unit', '2');
    const at = '2026-01-01T00:00:00.000Z';
    await stub.upsert([
      partitionRow({ slice_id: 'b', created_at: at }, rec('a', false, 0.1), 1),
      partitionRow({ slice_id: 'a', created_at: at }, rec('b', false, 0.1), 1),
      partitionRow({ slice_id: 'c', created_at: '2025-12-31T00:00:00.000Z' }, rec('z', false, 0.1), 1),
      partitionRow({ slice_id: 'a', created_at: at }, rec('a', false, 0.1), 1),
    ]);
    const first = await stub.list({}, null, 2, true);
    const second = await stub.list({}, first.next, 2, true);
    expect([...first.items, ...second.items].map((x) => `${x.slice_id}/${x.item_id}`)).toEqual(['c/z', 'a/a', 'a/b', 'b/a']);
    expect(second.next).toBeNull();
    expect(first.total).toBe(4);
  });
});

describe('item partition made before the features column', () => {
  const tiered = (id: string, tier: string | undefined, lang: string): StoredItem => {
    const r = rec(id, true, 0.9);
    r.i = { ...r.i, language: lang, ...(tier ? { attributes: { tier } } : {}) } as StoredItem['i'];
    return r;
  };

  it('gets the column when opened and each row its features from its own record on the first filtered read', async () => {
    const stub = partitionOf(env, 'KE', 'unit', 'features-1');
    const slice = { slice_id: 's', created_at: '2026-01-01T00:00:00.000Z' };
    await stub.upsert([partitionRow(slice, tiered('a', 'new', 'pt-BR'), 1), partitionRow(slice, tiered('b', 'old', 'pt'), 1),
      partitionRow(slice, tiered('c', undefined, 'es'), 1)]);
    const got = await runInDurableObject(stub, (_o, state) => {
      // The partition as issue 14 made it: no features column, no partial index.
      state.storage.sql.exec('DROP INDEX items_unfeatured');
      state.storage.sql.exec('ALTER TABLE items DROP COLUMN features');
      const reopened = new ItemPartition(state, env);
      return {
        tier: reopened.list({ features: [['attr.tier', 'new']] }, null, 10, true),
        pt: reopened.list({ features: [['language', 'pt']] }, null, 10, true),
        unfilled: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM items WHERE features IS NULL').one().n,
      };
    });
    expect(got.tier.total).toBe(1);
    expect(got.tier.items.map((x) => x.item_id)).toEqual(['a']);
    expect(got.pt.items.map((x) => x.item_id)).toEqual(['a', 'b']);
    expect(got.unfilled).toBe(0);
  });
});
