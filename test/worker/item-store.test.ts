// The item store's concurrency guard: a stale rewrite aborts its whole D1 batch.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { bucketCount, bucketOf, findItem, rewritePartStatements } from '../../functions/ingest/item-store.ts';
import { submit, item, MODEL } from './helpers.ts';

describe('item store', () => {
  it('sizes buckets from the body and spreads ids over them', () => {
    expect(bucketCount(10)).toBe(1);
    expect(bucketCount(64 * 1024 * 10)).toBe(10);
    expect(bucketCount(1e12)).toBe(8192);
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16000; i++) counts[bucketOf(`item-${i}`, 16)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800); // ~1000 each
  });

  it('rewrites a part only if nobody else did since it was read', async () => {
    const r = await submit('PT', { slice_id: 'store-1', model: MODEL, items: [item('a'), item('b')] });
    expect(r.status).toBe(201);
    const slice = (await env.DB.prepare(`SELECT pk, buckets FROM slices WHERE slice_id = 'store-1'`).first<{ pk: number; buckets: number }>())!;
    const loc = (await findItem(env.DB, slice.pk, slice.buckets, 'a'))!;
    expect(loc.record.i.item_id).toBe('a');
    loc.parts[loc.index].i.note = 'first';
    await env.DB.batch(rewritePartStatements(env.DB, slice.pk, loc));
    // A second writer holding the old revision fails as a whole, including its other statements.
    loc.parts[loc.index].i.note = 'stale';
    const marker = env.DB.prepare(`UPDATE slices SET error = 'should roll back' WHERE pk = ?`).bind(slice.pk);
    await expect(env.DB.batch([marker, ...rewritePartStatements(env.DB, slice.pk, loc)])).rejects.toThrow();
    const after = (await findItem(env.DB, slice.pk, slice.buckets, 'a'))!;
    expect(after.record.i.note).toBe('first');
    expect(after.rev).toBe(loc.rev + 1);
    const row = await env.DB.prepare('SELECT error FROM slices WHERE pk = ?').bind(slice.pk).first<{ error: string | null }>();
    expect(row!.error).toBeNull();
  });
});
