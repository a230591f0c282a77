// The heatmap at scale: aggregates equivalent to 1,000,000 items across 120 regions × 3 model
// versions × 8 policies, written straight into D1 (the pages read aggregates only, never
// items), then the global page and a region page over real HTTP at that scale (timings logged only).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorker, ADMIN, type RunningWorker } from './worker.ts';

const MODEL = 'scale';
const VERSIONS = ['1', '2', '3'];
const POLICIES = ['adult.nudity', 'violence.graphic', 'hate.slur', 'minor.safety', 'dangerous.acts', 'spam.scam', 'regulated.goods', 'self_harm'];
const SIGS = ['LBL.AMBIG', 'OUT.FORMAT', 'PER.MISS.audio', 'PER.MISS.visual', 'FUS.SUPPRESS.audio', 'FUS.SHORTCUT.text', 'POL.GAP', 'THR.MARGIN', 'UNPROBED', 'UNEXPLAINED'];
const TOTAL_ITEMS = 1_000_000;
const RUNS = 40;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

function p95(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

async function time(url: string, runs: number) {
  const ms: number[] = [];
  let body = '';
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const r = await fetch(url, { headers: { authorization: `Bearer ${ADMIN}` } });
    body = await r.text();
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${body.slice(0, 300)}`);
    if (i >= 5) ms.push(performance.now() - t0); // 5 warm-up requests
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], p95: p95(ms), body };
}

describe('heatmap at 120 regions × 3 versions (1M items in aggregates)', () => {
  let w: RunningWorker;
  let regions: string[] = [];
  let rows = 0;

  beforeAll(async () => {
    w = await startWorker('pages-dist-scale');
    const { DB } = await w.env();
    regions = (await DB.prepare('SELECT code FROM regions ORDER BY code LIMIT 120').all<{ code: string }>()).results.map((r) => r.code);
    expect(regions).toHaveLength(120);
    const cells = regions.length * VERSIONS.length * POLICIES.length;
    const perCell = TOTAL_ITEMS / cells;
    const rand = rng(7);
    const values: string[] = [];
    for (const region of regions) for (const version of VERSIONS) for (const policy of POLICIES) {
      const items = Math.round(perCell * (0.5 + rand()));
      const pending = Math.floor(items * 0.02 * rand());
      const failures = Math.floor((items - pending) * (0.02 + 0.12 * rand()));
      const excluded = Math.floor(failures * 0.1 * rand());
      const m: Record<string, number> = { items, pending, failures, excluded, tp: items - failures - pending, tn: 0, fp: Math.floor(failures / 2), fn: failures - Math.floor(failures / 2) };
      let left = failures - excluded;
      m['sig:LBL.AMBIG'] = excluded;
      for (const s of SIGS.slice(1)) {
        const k = s === 'UNEXPLAINED' ? left : Math.floor(left * rand() * 0.5);
        if (k > 0) m[`sig:${s}`] = k;
        left -= k;
      }
      // the rest of a real cell's counters (calibration, score, language and surface bins):
      // not read by the heatmap, but they sit in the same index and table.
      for (let b = 0; b < 10; b++) { m[`cal:n:${b}`] = 1 + b; m[`cal:s:${b}`] = b / 10; m[`cal:y:${b}`] = b; m[`score:${b}`] = b; }
      m['lang:en'] = items; m['surface:vod'] = items;
      for (const [metric, value] of Object.entries(m)) values.push(`(${q(region)},${q(MODEL)},${q(version)},${q(policy)},${q(metric)},${value})`);
    }
    rows = values.length;
    const stmts: string[] = [];
    for (let i = 0; i < values.length; i += 1000) stmts.push(`INSERT INTO aggregates (region, model_id, model_version, policy, metric, value) VALUES ${values.slice(i, i + 1000).join(',')}`);
    for (let i = 0; i < stmts.length; i += 25) await DB.batch(stmts.slice(i, i + 25).map((s) => DB.prepare(s)));
    await DB.batch(VERSIONS.map((v, i) => DB.prepare('INSERT INTO model_versions (model_id, version, stage, first_slice_at) VALUES (?, ?, ?, ?)')
      .bind(MODEL, v, ['sft', 'alignment', 'production'][i], `2026-0${i + 1}-01T00:00:00.000Z`)));
    const total = await DB.prepare(`SELECT SUM(value) AS n FROM aggregates WHERE model_id = ? AND metric = 'items'`).bind(MODEL).first() as { n: number } | null;
    expect(Math.abs(total!.n - TOTAL_ITEMS) / TOTAL_ITEMS).toBeLessThan(0.02);
  }, 300_000);

  afterAll(async () => { await w?.close(); });

  // Latency is reported, not asserted: timings belong to `npm run bench` (BENCHMARKS.md), and a
  // noisy CI machine must not fail a correct page.
  it('renders the global page for 120 regions at 1M items (timings logged)', async () => {
    const all = await time(`${w.url}/scorecards?model=${MODEL}&version=3`, RUNS);
    const pol = await time(`${w.url}/scorecards?model=${MODEL}&version=3&policy=hate.slur`, RUNS);
    const region = await time(`${w.url}/scorecards/${regions[0]}?model=${MODEL}&version=3`, RUNS);
    const json = await time(`${w.url}/v1/regions/${regions[0]}/scorecard?model=${MODEL}&version=3`, RUNS); // for reference
    const fmt = (x: { p50: number; p95: number }) => `p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms`;
    console.log(`[pages] ${rows} aggregate rows; GET /scorecards (all policies): ${fmt(all)}; (one policy): ${fmt(pol)}; `
      + `GET /scorecards/${regions[0]}: ${fmt(region)} (its JSON scorecard alone: ${fmt(json)}); heatmap page ${(all.body.length / 1024).toFixed(0)} KiB`);
    expect(all.body.match(/<tr data-region=/g)).toHaveLength(120);
    expect(pol.body.match(/<tr data-region=/g)).toHaveLength(120);
    expect(region.body).toContain('data-value=');
  });
});
