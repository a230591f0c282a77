// Migration 0014 moves the score histograms and live delays out of `aggregates` (one row per bin
// and per millisecond value, as the code before it wrote them) into packed `histograms` rows. A
// database in the old layout is made here from a real ingest (every packed row unpacked into the
// old counters), the migration's own statements are run on it, and every §12 number of the
// scorecard and the lifecycle must come back unchanged.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, submit } from '../helpers.ts';
import { detectTimes, toItem, world } from '../operating-world.ts';

const MODEL = { id: 'avlm-mig', version: '1', stage: 'sft' };
const REGION = 'PE';
const OLD_PREFIX: Record<string, string> = { 'op:v': 'op:v:', 'op:b': 'op:b:', ttd: 'ttd:' };

async function operating() {
  const sc = (await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=1`)).data;
  const lc = (await api(`/v1/lifecycle?model=${MODEL.id}`)).data;
  return { thresholds: sc.thresholds, operating_points: sc.operating_points, time_to_detect: sc.time_to_detect, lifecycle: lc };
}

describe('migration 0014: histograms packed', () => {
  it('a database with the old per-value counters reads back the same numbers after the migration', async () => {
    const ws = world(23);
    expect((await submit(REGION, { slice_id: 'mig-1', model: MODEL, items: ws.map(toItem) }, { ndjson: true })).status).toBe(201);
    const before = await operating();
    expect(before.time_to_detect).toEqual([detectTimes(ws, 'hate.slur')]);
    expect(before.thresholds.length).toBeGreaterThan(0);

    // The old layout: each packed value as its own aggregates counter, no histograms rows.
    const packed = (await env.DB.prepare('SELECT region, model_id, model_version, policy, family, counts FROM histograms WHERE model_id = ?')
      .bind(MODEL.id).all<{ region: string; model_id: string; model_version: string; policy: string; family: string; counts: string }>()).results;
    const old = packed.flatMap((r) => Object.entries(JSON.parse(r.counts) as Record<string, number>)
      .map(([k, n]) => [r.region, r.model_id, r.model_version, r.policy, OLD_PREFIX[r.family] + k, n]));
    expect(old.some((r) => String(r[4]).startsWith('ttd:') && String(r[4]).includes('.'))).toBe(true); // a fractional delay among them
    await env.DB.batch([
      env.DB.prepare('DELETE FROM histograms WHERE model_id = ?').bind(MODEL.id),
      env.DB.prepare(`INSERT INTO aggregates (region, model_id, model_version, policy, metric, value)
        SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5 FROM json_each(?) AS j`).bind(JSON.stringify(old)),
    ]);
    // Read in the old layout by the new code: the histograms are gone (the migration is what brings them back).
    expect((await operating()).time_to_detect).toEqual([]);

    const migration = (env.TEST_MIGRATIONS as Array<{ name: string; queries: string[] }>).find((m) => m.name.startsWith('0014_'))!;
    const moves = migration.queries.filter((q) => /^\s*(--[^\n]*\n\s*)*(INSERT|DELETE) /i.test(q));
    expect(moves).toHaveLength(3);
    await env.DB.batch(moves.map((q) => env.DB.prepare(q)));

    expect(await operating()).toEqual(before);
    const left = await env.DB.prepare(`SELECT count(*) AS n FROM aggregates WHERE model_id = ? AND (metric LIKE 'op:v:%' OR metric LIKE 'op:b:%' OR metric LIKE 'ttd:%')`)
      .bind(MODEL.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
  
    // Negative and fractional delays land in the bucket floor(ms / 1000), as the new code puts them.
    const odd = [['-1500', 1], ['-2000', 2], ['-0.5', 1], ['999.75', 3], ['1000', 1]];
    await env.DB.prepare(`INSERT INTO aggregates (region, model_id, model_version, policy, metric, value)
      SELECT 'PE', 'avlm-mig2', '1', 'hate.slur', 'ttd:' || (j.value ->> 0), j.value ->> 1 FROM json_each(?) AS j`).bind(JSON.stringify(odd)).run();
    await env.DB.batch(moves.map((q) => env.DB.prepare(q)));
    const rows = (await env.DB.prepare(`SELECT bucket, n, counts FROM histograms WHERE model_id = 'avlm-mig2' ORDER BY bucket`).all<{ bucket: number; n: number; counts: string }>()).results;
    const want = new Map<number, Record<string, number>>();
    for (const [k, n] of odd) {
      const b = Math.floor(Number(k) / 1000);
      want.set(b, { ...want.get(b), [k]: n as number });
    }
    expect(rows.map((r) => [r.bucket, r.n, JSON.parse(r.counts)])).toEqual([...want].sort((a, b) => a[0] - b[0])
      .map(([b, c]) => [b, Object.values(c).reduce((x, y) => x + y, 0), c]));
  });
});
