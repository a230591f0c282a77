// The item store's concurrency guard: a stale rewrite aborts its whole D1 batch.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { ItemStoreWriter, PART_BYTES, bucketCount, bucketOf, findItem, rewritePartStatements } from '../../../functions/store/items/writer.ts';
import { parseRecords, partText, swapQuoteBytes, swapQuotes } from '../../../functions/store/items/format.ts';
import { readItems } from '../../../functions/store/items/editor.ts';
import { submit, item, MODEL } from '../helpers.ts';

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

  it('packs records into parts byte for byte: non-ASCII text, records larger than a part, every bucket flushed', async () => {
    // Records are buffered per bucket as UTF-8 bytes: what comes out must be the same text.
    const pk = 900_001;
    const w = new ItemStoreWriter(env.DB, pk, 3);
    const texts = new Map<string, string>();
    const odd = ['Zürich — façade', '東京の配信 🎥', 'emoji 👩🏽‍💻 and \u2028 line sep', 'ascii only', `it's "quoted" \\ 'twice'`];
    for (let k = 0; k < 400; k++) {
      const id = `utf-${k}`;
      const filler = k % 97 === 0 ? 'x'.repeat(PART_BYTES + 5000) : odd[k % odd.length].repeat(1 + (k % 7));
      const rec = JSON.stringify({ d: 'TN', t: 0.5, i: { item_id: id, note: filler } });
      texts.set(id, rec);
      await w.add(id, rec);
    }
    await w.finish();
    const { results } = await env.DB.prepare('SELECT bucket, part, n, data FROM item_chunks WHERE slice_pk = ? ORDER BY bucket, part')
      .bind(pk).all<{ bucket: number; part: number; n: number; data: string }>();
    const seen = new Map<string, string>();
    for (const r of results) {
      expect(r.data.charAt(2)).toBe("'"); // the stored form: quotes exchanged (records.ts)
      const recs = JSON.parse(swapQuotes(r.data)) as unknown[];
      expect(recs.length).toBe(r.n);
      for (const rec of recs) {
        const id = (rec as { i: { item_id: string } }).i.item_id;
        expect(bucketOf(id, 3)).toBe(r.bucket);
        seen.set(id, JSON.stringify(rec));
      }
      expect(parseRecords(r.data).length).toBe(r.n);
    }
    expect(seen.size).toBe(texts.size);
    for (const [id, t] of texts) expect(seen.get(id), id).toBe(t);
    // Parts are cut near PART_BYTES (UTF-8), except one holding a single oversized record.
    const enc = new TextEncoder();
    for (const r of results) if (r.n > 1) expect(enc.encode(r.data).length).toBeLessThan(PART_BYTES + 4096 + 3 * 400);
  });

  it('stores parts with " and \' exchanged, and still reads parts written as plain JSON', async () => {
    const samples = ['plain', `it's`, '"q"', `'"'"'`, 'no quotes at all', '\\"', 'é"ü\''];
    for (const t of samples) {
      expect(swapQuotes(swapQuotes(t))).toBe(t);
      const b = new TextEncoder().encode(t);
      swapQuoteBytes(b, b.length);
      expect(new TextDecoder().decode(b)).toBe(swapQuotes(t));
    }
    expect(swapQuotes(`{"a":"it's"}`)).toBe(`{'a':'it"s'}`);
    // A slice stored by the service: its parts are in the exchanged form, items with quotes read back.
    const tricky = item(`q"1'`, { content_id: `c'"x` });
    const r = await submit('PT', { slice_id: 'store-quotes', model: MODEL, items: [tricky, item('plain-1')] });
    expect(r.status).toBe(201);
    const slice = (await env.DB.prepare(`SELECT pk, buckets, region, slice_id, model_id, model_version, created_at FROM slices WHERE slice_id = 'store-quotes'`)
      .first<{ pk: number; buckets: number; region: string; slice_id: string; model_id: string; model_version: string; created_at: string }>())!;
    const loc = (await findItem(env.DB, slice.pk, slice.buckets, `q"1'`))!;
    expect(loc.record.i).toMatchObject({ item_id: `q"1'`, content_id: `c'"x` });
    expect((await readItems(env, slice, [`q"1'`, 'plain-1'])).get(`q"1'`)!.i.content_id).toBe(`c'"x`);
    // Parts written before the exchange (plain JSON) are found by the same lookups.
    const old = { d: 'TN', t: 0.5, i: { item_id: `old"2'`, surface: 'vod', policy: 'hate.slur', note: `it's old` } };
    const bucket = bucketOf(old.i.item_id, slice.buckets);
    await env.DB.prepare('INSERT INTO item_chunks (slice_pk, bucket, part, n, data) VALUES (?, ?, 99, 1, ?)').bind(slice.pk, bucket, JSON.stringify([old])).run();
    expect((await findItem(env.DB, slice.pk, slice.buckets, old.i.item_id))!.record.i).toMatchObject({ note: `it's old` });
    expect((await readItems(env, slice, [old.i.item_id])).get(old.i.item_id)!.i).toMatchObject({ note: `it's old` });
    // A rewrite stores the exchanged form again.
    expect(partText([old]).charAt(2)).toBe("'");
    expect(parseRecords(partText([old]))[0].i).toEqual(old.i);
  });
});
