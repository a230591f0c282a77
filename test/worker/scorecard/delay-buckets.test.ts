// Time to detect is read as per-second bucket counts plus the values of the buckets that hold its
// ranks and the 30 s bound, chosen in SQL by running sums (store/histograms.ts). Here the stored
// delays of a region × version are replaced by random multisets (negative, fractional, spread
// over minutes, crowded at 30 s), and the scorecard's figures must equal nearest-rank
// percentiles computed by sorting the raw values.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, submit } from '../helpers.ts';
import { rng, toItem, world } from '../operating-world.ts';

const R = 'BO';
const MODEL = { id: 'avlm-ttd', version: '1', stage: 'sft' };
const POLICY = 'hate.slur';

async function storeDelays(raw: number[]) {
  const buckets = new Map<number, Record<string, number>>();
  for (const v of raw) {
    const b = Math.floor(v / 1000);
    const c = buckets.get(b) ?? {};
    c[String(v)] = (c[String(v)] ?? 0) + 1;
    buckets.set(b, c);
  }
  const rows = [...buckets].map(([b, c]) => [b, Object.values(c).reduce((x, y) => x + y, 0), JSON.stringify(c)]);
  await env.DB.batch([
    env.DB.prepare(`DELETE FROM histograms WHERE region = ? AND model_id = ? AND model_version = '1' AND family = 'ttd'`).bind(R, MODEL.id),
    env.DB.prepare(`INSERT INTO histograms (region, model_id, model_version, policy, family, bucket, n, counts)
      SELECT ?1, ?2, '1', ?3, 'ttd', j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?4) AS j`).bind(R, MODEL.id, POLICY, JSON.stringify(rows)),
  ]);
}

describe('time to detect from delay buckets chosen in SQL', () => {
  beforeAll(async () => {
    expect((await submit(R, { slice_id: 'ttd-1', model: MODEL, items: world(5).map(toItem) }, { ndjson: true })).status).toBe(201);
  });

  it('equals sorting the raw delays, for random multisets', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = rng(seed);
      const n = 1 + Math.floor(r() * 700);
      const raw = Array.from({ length: n }, () => {
        const k = r();
        if (k < 0.1) return -Math.floor(r() * 5_000);
        if (k < 0.3) return 29_000 + Math.floor(r() * 2_000);
        if (k < 0.4) return Math.round(r() * 60_000 * 4) / 4; // fractional ms
        return Math.floor(r() * (seed % 2 ? 20_000 : 300_000));
      });
      await storeDelays(raw);
      const sc = (await api(`/v1/regions/${R}/scorecard?model=${MODEL.id}&version=1`)).data;
      const s = [...raw].sort((a, b) => a - b), at = (p: number) => s[Math.ceil(p * s.length - 1e-9) - 1];
      expect(sc.time_to_detect.find((t: any) => t.policy === POLICY), `seed ${seed}, n ${n}`).toEqual({
        policy: POLICY, n, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: raw.filter((v) => v <= 30_000).length / n,
      });
    }
  });
});
