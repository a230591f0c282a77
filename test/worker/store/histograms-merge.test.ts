// Packed histogram rows are merged in SQL (store/histograms.ts UPSERT: each delta key folded
// into the stored object). Property: after any sequence of deltas, each row's counts equal the
// per-key sums computed here, keys whose sum is 0 absent, and `n` the sum of the deltas' n.
import { env } from 'cloudflare:test';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { histogramStatements } from '../../../functions/store/histograms.ts';

const KEY = { region: 'ZZ', model_id: 'hist-merge', model_version: '1' };
const delta = fc.tuple(
  fc.constantFrom('hate.slur', 'spam.scam'), fc.constantFrom('op:v', 'op:b', 'ttd'), fc.integer({ min: 0, max: 2 }),
  fc.dictionary(fc.integer({ min: 0, max: 100 }).map(String), fc.integer({ min: -3, max: 3 }), { minKeys: 1, maxKeys: 6 }),
);

describe('histogram rows merged in SQL', () => {
  it('equal the per-key sums of every delta, zero sums dropped', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(delta, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (batches) => {
      await env.DB.prepare('DELETE FROM histograms WHERE region = ? AND model_id = ?').bind(KEY.region, KEY.model_id).run();
      const want = new Map<string, { n: number; counts: Map<string, number> }>();
      for (const batch of batches) {
        // One packed row per (policy, family, bucket) per statement, as splitPacked makes them.
        const rows = new Map<string, unknown[]>();
        for (const [policy, family, bucket, counts] of batch) {
          const id = `${policy}|${family}|${bucket}`;
          const prev = rows.get(id);
          const merged: Record<string, number> = { ...((prev?.[4] as Record<string, number>) ?? {}) };
          let n = (prev?.[3] as number) ?? 0;
          for (const [k, v] of Object.entries(counts)) { merged[k] = (merged[k] ?? 0) + v; n += v; }
          rows.set(id, [policy, family, bucket, n, merged]);
          const w = want.get(id) ?? { n: 0, counts: new Map() };
          for (const [k, v] of Object.entries(counts)) { w.counts.set(k, (w.counts.get(k) ?? 0) + v); w.n += v; }
          want.set(id, w);
        }
        await env.DB.batch(histogramStatements(env.DB, KEY, [...rows.values()]));
      }
      const { results } = await env.DB.prepare('SELECT policy, family, bucket, n, counts FROM histograms WHERE region = ? AND model_id = ?')
        .bind(KEY.region, KEY.model_id).all<{ policy: string; family: string; bucket: number; n: number; counts: string }>();
      expect(results.length).toBe(want.size);
      for (const r of results) {
        const w = want.get(`${r.policy}|${r.family}|${r.bucket}`)!;
        expect(r.n).toBe(w.n);
        const got = JSON.parse(r.counts) as Record<string, number>;
        // A key first written by an insert keeps a 0 its own delta summed to; merges drop zeros.
        const nonzero = Object.fromEntries(Object.entries(got).filter(([, v]) => v !== 0));
        expect(nonzero).toEqual(Object.fromEntries([...w.counts].filter(([, v]) => v !== 0)));
      }
    }), { numRuns: 60 });
  });
});
