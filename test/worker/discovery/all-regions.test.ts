// The ALL_REGIONS ('*') discovery rows, which the global route reads instead of every region's:
// after slices in two regions and a label webhook (replayed once), they equal the sum of the
// regions' rows cell by cell, for built-in features and attributes alike, and the recount.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk } from '../labels/webhooks-helpers.ts';

const model = { id: 'disc-all', version: '1', stage: 'sft' };

/** n items of a region: scores both sides of 0.5, labels alternating, a few attribute values. */
function items(prefix: string, n: number, tiers: string[]) {
  return Array.from({ length: n }, (_, i) => item(`${prefix}${i}`, {
    surface: i % 3 === 0 ? 'short' : 'vod', language: i % 2 ? 'es' : 'pt-BR', policy: i % 4 === 0 ? 'violence.graphic' : 'hate.slur',
    label: { violating: i % 2 === 0, source: i % 5 === 0 ? 'acme' : 'internal', ...(i % 3 === 1 ? { evidence: ['audio'] } : {}) },
    prediction: { score: (i * 37 % 100) / 100 }, attributes: { tier: tiers[i % tiers.length], hd: i % 2 === 0 },
  }));
}

type Cell = { policy: string; slice_key: string; code: string; n: number };
const cells = (rows: Cell[]) => new Map(rows.map((r) => [`${r.policy}|${r.slice_key}|${r.code}`, r.n]));

async function allRegionRows() {
  const q = (sql: string) => env.DB.prepare(sql).bind(model.id, model.version).all<Cell>();
  const [all, sum] = await Promise.all([
    q(`SELECT policy, slice_key, code, n FROM discovery_counts WHERE region = '*' AND model_id = ? AND model_version = ? AND n <> 0`),
    q(`SELECT policy, slice_key, code, sum(n) AS n FROM discovery_counts WHERE region <> '*' AND model_id = ? AND model_version = ?
       GROUP BY policy, slice_key, code HAVING sum(n) <> 0`),
  ]);
  return { all: cells(all.results), sum: cells(sum.results) };
}

describe("discovery's '*' rows", () => {
  it('equal the sum of the region rows after two regions\' slices and a label webhook (replayed: counted once)', async () => {
    for (const [region, slice, body] of [['BR', 'all-br-0', items('b', 60, ['new', 'old'])], ['AR', 'all-ar-0', items('a', 50, ['old', 'mid'])], ['BR', 'all-br-1', items('c', 40, ['mid'])]] as const) {
      expect((await submit(region, { slice_id: slice, model, items: body })).status).toBe(201);
    }
    const secret = await createVendor('all-std');
    const events = [ev('BR', 'all-br-0', 'b1', true), ev('BR', 'all-br-0', 'b2', false), ev('AR', 'all-ar-0', 'a3', true)];
    for (const id of ['all-1', 'all-1']) expect((await deliverStandard('all-std', secret, events, { id })).status).toBeLessThan(300);

    const { all, sum } = await allRegionRows();
    // Both kinds of rows are there: built-in features, and attributes (written by another statement).
    expect([...all.keys()].some((k) => k.includes('"attr.tier"'))).toBe(true);
    expect([...all.keys()].some((k) => k.includes('"surface"') && !k.includes('attr.'))).toBe(true);
    expect([...all.keys()].sort()).toEqual([...sum.keys()].sort());
    for (const [k, n] of sum) expect(all.get(k), k).toBe(n);
    // And each slice's counters, the region's cells and the '*' cells equal a recount of the stored items.
    for (const [region, slice] of [['BR', 'all-br-0'], ['AR', 'all-ar-0'], ['BR', 'all-br-1']]) await expectCountersMatchStore(await slicePk(region, slice));
  });
});
