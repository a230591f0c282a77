// Counters read packed (services/aggregates.ts packedCellsSql: one JSON object per policy built
// by SQLite) must come back exactly as stored — REAL sums included — and in metric order.
import { env } from 'cloudflare:test';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readCells } from '../../../functions/services/aggregates.ts';

const KEY = ['ZZ', 'packed', '1'] as const;

async function store(rows: Array<[policy: string, metric: string, value: number]>) {
  await env.DB.prepare('DELETE FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ?').bind(...KEY).run();
  await env.DB.batch(rows.map(([p, m, v]) => env.DB.prepare('INSERT INTO aggregates (region, model_id, model_version, policy, metric, value) VALUES (?, ?, ?, ?, ?, ?)').bind(...KEY, p, m, v)));
}

describe('packed counter reads', () => {
  it('give back every value exactly, REALs included, each policy in metric order', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(fc.tuple(fc.constantFrom('hate.slur', 'adult.nudity', 'violence.gore'), fc.stringMatching(/^[a-z]{1,6}:[a-z0-9.]{1,8}$/),
        fc.oneof(fc.integer({ min: -1e6, max: 1e9 }), fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }))),
      { minLength: 1, maxLength: 40, selector: ([p, m]) => `${p} ${m}` }),
      async (rows) => {
        await store(rows);
        const cells = await readCells(env.DB, ...KEY, { operating: true }); // every counter, op: ones included
        for (const [p, m, v] of rows) expect(cells.get(p)!.get(m) === v).toBe(true); // === : a stored -0 reads back as 0
        expect([...cells.values()].reduce((n, c) => n + c.size, 0)).toBe(rows.length);
        for (const [p, c] of cells) expect([...c.keys()]).toEqual(rows.filter((r) => r[0] === p).map((r) => r[1]).sort());
      },
    ), { numRuns: 40 });
  });

  it('keeps sums of scores that need 17 digits', async () => {
    const sums = [0.1 + 0.2, 1234.5678901234567, 1 / 3, 2 ** 53 - 1, 5e-324, 1e-7 / 3];
    await store(sums.map((v, i) => ['hate.slur', `cal:s${i}`, v]));
    const c = (await readCells(env.DB, ...KEY, { operating: true })).get('hate.slur')!;
    expect(sums.map((_, i) => c.get(`cal:s${i}`))).toEqual(sums);
  });
});
