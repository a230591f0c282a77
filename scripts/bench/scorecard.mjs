// Scorecard benchmark: ≥ 1,000,000 items stored across ≥ 120 regions, all submitted through
// the public API (POST /v1/regions/{r}/slices, NDJSON), then GET /v1/regions/{r}/scorecard
// latency over 200 requests to random regions with a read key — once at ~100k items stored and
// again at ≥ 1M, to show it stays flat. Baseline: the same aggregate SELECT with node:sqlite on a
// copy of the D1 database file.
import { DatabaseSync } from 'node:sqlite';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateItems, ndjsonSlice, rng } from './lib/gen.mjs';
import { startWorker, threadCpu, cpuDelta, d1SqliteFile, percentile, median, fmt, mib, bundlePatches } from './lib/worker.mjs';
import { traceEntry } from './lib/trace-entry.mjs';

export const title = 'Scorecard';

const REGIONS = Number(process.env.BENCH_SCORECARD_REGIONS ?? 125);
const TARGET = Number(process.env.BENCH_SCORECARD_ITEMS ?? 1_000_000);
const FIRST = Number(process.env.BENCH_SCORECARD_FIRST ?? 100_000);
const REQUESTS = 200;
const WARMUP = 20;
const CONCURRENCY = 2;
const MAX_FILL_S = Number(process.env.BENCH_SCORECARD_MAX_FILL_S ?? 360);
const MODEL = { id: 'avlm-bench', version: '2026.11.0', stage: 'production' };

/** Submits `perRegion` items to every region (one slice each), CONCURRENCY POSTs in flight. */
async function fill(w, regions, policies, perRegion, round, deadline, log) {
  let next = 0; let items = 0; let bytes = 0; let stopped = false;
  const t0 = performance.now();
  const worker = async () => {
    while (next < regions.length) {
      if (performance.now() > deadline) { stopped = true; return; }
      const i = next++;
      const r = regions[i];
      const sliceId = `bench-sc-${round}-${r.code}`;
      const langs = r.languages.length ? r.languages : ['en'];
      const its = generateItems({ n: perRegion, seed: 1000 * round + i + 1, policies, languages: langs, idPrefix: `${r.code}${round}` });
      const body = ndjsonSlice({ sliceId, model: MODEL, items: its });
      const res = await w.api('POST', `/v1/regions/${r.code}/slices`, { body, headers: { 'content-type': 'application/x-ndjson' } });
      if (res.status !== 201) throw new Error(`POST ${r.code} → ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
      items += res.json.items; bytes += body.length;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const s = (performance.now() - t0) / 1000;
  log(`[scorecard] round ${round}: ${fmt(items)} items (${fmt(mib(bytes))} MiB) into ${regions.length} regions in ${fmt(s, 1)} s → ${fmt(items / s)} items/s${stopped ? ' (stopped at the time cap)' : ''}`);
  return { items, bytes, seconds: s, stopped };
}

async function latency(w, regions, key, seed) {
  const r = rng(seed);
  const pick = () => regions[Math.floor(r() * regions.length)].code;
  const get = async (code) => {
    const t = performance.now();
    const res = await w.api('GET', `/v1/regions/${code}/scorecard?model=${MODEL.id}&version=${MODEL.version}`, { token: key });
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`scorecard ${code} → ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`);
    return { ms, body: res.json };
  };
  for (let i = 0; i < WARMUP; i++) await get(pick());
  const ms = [];
  let sample;
  const c0 = threadCpu(w.pid);
  for (let i = 0; i < REQUESTS; i++) { const g = await get(pick()); ms.push(g.ms); sample ??= g.body; }
  const cpuPerRequest = cpuDelta(c0, threadCpu(w.pid)).total / REQUESTS;
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: Math.max(...ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length, cpuPerRequest, sample };
}

async function stored(w) {
  return w.db.prepare(`SELECT (SELECT COALESCE(SUM(items), 0) FROM slices WHERE status IN ('complete', 'probing')) AS items,
    (SELECT COUNT(DISTINCT region) FROM slices WHERE status IN ('complete', 'probing')) AS regions,
    (SELECT COUNT(*) FROM item_chunks) AS chunks, (SELECT COUNT(*) FROM aggregates) AS aggregates`).first();
}

/** A copy of the D1 SQLite file (for read-only baselines); returns {db, close()}. */
function openCopy(persist) {
  const src = d1SqliteFile(persist);
  if (!src) return null;
  const dir = mkdtempSync(join(tmpdir(), 'avlm-bench-sc-'));
  const dst = join(dir, 'd1.sqlite');
  copyFileSync(src, dst);
  for (const ext of ['-wal', '-shm']) if (existsSync(src + ext)) copyFileSync(src + ext, dst + ext);
  const db = new DatabaseSync(dst);
  return { db, close() { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** The scorecard's own-region aggregate read, straight on a copy of the D1 SQLite file. */
function rawBaseline(persist, regions, seed) {
  const c = openCopy(persist);
  if (!c) return null;
  try {
    const q = c.db.prepare('SELECT policy, metric, value FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ?');
    const r = rng(seed);
    const ms = [];
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      const code = regions[Math.floor(r() * regions.length)].code;
      const t = performance.now();
      const rows = q.all(code, MODEL.id, MODEL.version);
      const dt = performance.now() - t;
      if (!rows.length) throw new Error(`no aggregates for ${code}`);
      if (i >= WARMUP) ms.push(dt);
    }
    return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
  } finally {
    c.close();
  }
}

const TRACED = 30;
const WHATIF_INDEX = 'CREATE INDEX bench_whatif_aggregates_region ON aggregates (region, model_id, model_version, policy, metric, value)';

/**
 * Every D1 statement of a scorecard request: restarts workerd on the same data with a wrapper
 * entry that records them (see lib/trace-entry.mjs), runs TRACED requests, then replays each
 * statement on a copy of the D1 file with node:sqlite (time + query plan).
 */
async function traceQueries(w, regions, key, seed) {
  await w.restart({ entrySource: traceEntry(w.script) });
  const r = rng(seed);
  const wall = [];
  const recs = [];
  for (let i = 0; i < TRACED + 5; i++) {
    const code = regions[Math.floor(r() * regions.length)].code;
    const t = performance.now();
    const res = await w.api('GET', `/v1/regions/${code}/scorecard?model=${MODEL.id}&version=${MODEL.version}`, { token: key });
    if (res.status !== 200) throw new Error(`traced scorecard → ${res.status}`);
    const tr = (await w.api('GET', '/__bench/trace')).json;
    if (i >= 5) { wall.push(performance.now() - t); recs.push(tr); }
  }
  const by = new Map();
  for (const tr of recs) for (const q of tr) {
    const k = q.sql.replace(/\s+/g, ' ').trim();
    const e = by.get(k) ?? { sql: k, n: 0, ms: 0, rows: 0, args: q.args };
    e.n++; e.ms += q.ms; e.rows += q.rows; by.set(k, e);
  }
  const c = openCopy(w.persist);
  const out = [];
  try {
    for (const e of by.values()) {
      let raw = null; let plan = '';
      if (!e.sql.startsWith('BATCH')) {
        try {
          plan = c.db.prepare(`EXPLAIN QUERY PLAN ${e.sql}`).all(...e.args).map((x) => x.detail).join('; ');
          const st = c.db.prepare(e.sql);
          const ms = [];
          for (let i = 0; i < 25; i++) { const t = performance.now(); st.all(...e.args); ms.push(performance.now() - t); }
          raw = median(ms);
        } catch (err) { plan = `(replay failed: ${err.message})`; }
      }
      out.push({ sql: e.sql, perRequest: e.n / TRACED, workerMs: e.ms / e.n, rows: e.rows / e.n, raw, plan });
    }
  } finally { c.close(); }
  out.sort((a, b) => b.workerMs * b.perRequest - a.workerMs * a.perRequest);
  const d1PerRequest = out.reduce((s, q) => s + q.workerMs * q.perRequest, 0);
  return { queries: out, wallP50: percentile(wall, 50), d1PerRequest };
}

export async function run({ log = console.log } = {}) {
  log('[scorecard] starting the Worker in Miniflare…');
  const w = await startWorker();
  try {
    const policies = (await w.api('GET', '/v1/policies')).json.policies;
    const all = (await w.api('GET', '/v1/regions')).json.regions;
    const regions = all.filter((r) => r.languages.length).slice(0, REGIONS);
    if (regions.length < REGIONS) throw new Error(`only ${regions.length} regions seeded`);
    const keyRes = await w.api('POST', '/v1/admin/keys', { body: JSON.stringify({ regions: ['*'], scopes: ['read'] }), headers: { 'content-type': 'application/json' } });
    if (keyRes.status !== 201) throw new Error(`POST /v1/admin/keys → ${keyRes.status} ${JSON.stringify(keyRes.json)}`);
    const key = keyRes.json.key;
    const deadline = performance.now() + MAX_FILL_S * 1000;

    const perFirst = Math.ceil(FIRST / regions.length);
    const f1 = await fill(w, regions, policies, perFirst, 1, Infinity, log);
    const s1 = await stored(w);
    const l1 = await latency(w, regions, key, 11);
    const b1 = rawBaseline(w.persist, regions, 11);
    log(`[scorecard] at ${fmt(s1.items)} items: p50 ${fmt(l1.p50, 1)} ms, p95 ${fmt(l1.p95, 1)} ms`);

    const perSecond = Math.ceil((TARGET - s1.items) / regions.length);
    const f2 = await fill(w, regions, policies, perSecond, 2, deadline, log);
    const s2 = await stored(w);
    const l2 = await latency(w, regions, key, 22);
    const b2 = rawBaseline(w.persist, regions, 22);
    log(`[scorecard] at ${fmt(s2.items)} items: p50 ${fmt(l2.p50, 1)} ms, p95 ${fmt(l2.p95, 1)} ms`);

    log('[scorecard] tracing the D1 statements of a scorecard request…');
    const measured = w.script;
    const tq = await traceQueries(w, regions, key, 33);

    // What-if (not in db/migrations): the own-region read, SELECT … FROM aggregates WHERE
    // region = ? AND model_id = ? AND model_version = ?, is planned on the covering index
    // aggregates_model_metric (model_id, model_version, …) and so scans every region's rows of
    // the model version. A covering index that starts with the region lets SQLite seek instead.
    log('[scorecard] what-if: a region-first covering index on aggregates…');
    await w.restart({ script: measured });
    await w.db.prepare(WHATIF_INDEX).run();
    const l3 = await latency(w, regions, key, 22);
    const b3 = rawBaseline(w.persist, regions, 22);
    log(`[scorecard] what-if at ${fmt(s2.items)} items: p50 ${fmt(l3.p50, 1)} ms, p95 ${fmt(l3.p95, 1)} ms`);

    const fillItems = f1.items + f2.items; const fillS = f1.seconds + f2.seconds;
    const row = (s, l, b) => `| ${fmt(s.items)} | ${s.regions} | ${fmt(s.chunks)} | ${fmt(s.aggregates)} | ${fmt(l.p50, 1)} | **${fmt(l.p95, 1)}** | ${fmt(l.p99, 1)} | ${fmt(l.max, 1)} | ${fmt(l.cpuPerRequest, 1)} | ${b ? `${fmt(b.p50, 2)} / ${fmt(b.p95, 2)}` : '—'} |`;
    const md = [
      `Data: ${fmt(s2.items)} items in ${s2.regions} regions (${regions.length} regions × one slice of ${fmt(perFirst)} items, then one more slice of ${fmt(perSecond)} items each), all submitted through \`POST /v1/regions/{r}/slices\` as NDJSON (below ASYNC_INGEST_BYTES, so processed in the request → \`201\`), ${CONCURRENCY} requests in flight: ${fmt(fillItems)} items in ${fmt(fillS, 1)} s (${fmt(fillItems / fillS)} items/s through the synchronous path, item generation in the same Node process included)${f2.stopped ? ` — **stopped at the ${MAX_FILL_S} s cap before the target**` : ''}.`,
      '',
      `Latency: \`GET /v1/regions/{r}/scorecard?model=${MODEL.id}&version=${MODEL.version}\` with a read key (\`regions: ["*"]\`, so every request also does the key's SHA-256 + D1 lookup), ${REQUESTS} sequential requests to random regions after ${WARMUP} warm-up requests, over HTTP from Node to Miniflare on loopback.`,
      '',
      '| items stored | regions | `item_chunks` rows | `aggregates` rows | p50 ms | p95 ms (target < 20) | p99 ms | max ms | workerd CPU ms / request | raw SQLite: own-region aggregates SELECT p50 / p95 ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      row(s1, l1, b1),
      row(s2, l2, b2),
      `${row(s2, l3, b3).replace(/^\| [^|]+\|/, `| ${fmt(s2.items)}, what-if: + region-first index¹ |`)}`,
      '',
      `¹ Not in db/migrations: \`${WHATIF_INDEX}\`, created on the same data after the rows above were measured. Today the own-region read is planned on \`aggregates_model_metric\` (model_id, model_version, …), a covering index that makes SQLite scan every region's rows of the model version (see the query plan below); the region-first covering index lets it seek to the region's rows.`,
      '',
      `p95 at ${fmt(s2.items)} vs ${fmt(s1.items)} items: ${fmt(l2.p95 / l1.p95, 2)}×; CPU per request ${fmt(l2.cpuPerRequest / l1.cpuPerRequest, 2)}×. The scorecard reads counters kept at ingest (\`aggregates\`, ${fmt(s2.aggregates / s2.regions)} rows per region here), never the items, so its cost does not follow the number of items stored; it does follow regions × policies × metrics of the model version (see the statements below). \`workerd CPU ms / request\`: CPU time of the whole workerd process (Worker + D1 simulator) over the ${REQUESTS} requests ÷ ${REQUESTS}, steadier than latency on a shared machine. The raw column is the scorecard's own-region read alone (\`SELECT policy, metric, value FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ?\`) in-process on a copy of the D1 file: no HTTP, auth, Worker or JSON.`,
      '',
      `D1 statements of one scorecard request at ${fmt(s2.items)} items (${TRACED} traced requests on a restarted instance whose entry wraps the real Worker and records each statement; \`Worker ms\` = mean time from the call to its answer inside the Worker, 1 ms clock resolution; \`raw\` = median of the same statement with the same values on a copy of the D1 file via node:sqlite). Traced requests took ${fmt(tq.wallP50, 1)} ms (p50); their D1 waits add up to ${fmt(tq.d1PerRequest, 1)} ms (more than the request when statements run concurrently, e.g. the first three, sent together with Promise.all and answered one after the other by the single D1 instance):`,
      '',
      '| statement | per request | rows | Worker ms | raw SQLite ms | query plan |',
      '|---|---:|---:|---:|---:|---|',
      ...tq.queries.map((q) => `| \`${q.sql.length > 150 ? q.sql.slice(0, 147) + '…' : q.sql}\` | ${fmt(q.perRequest, 1)} | ${fmt(q.rows)} | ${fmt(q.workerMs, 1)} | ${q.raw === null ? '—' : fmt(q.raw, 2)} | ${q.plan.replace(/\|/g, '\\|')} |`),
      ...(bundlePatches.length ? ['', `(Bundle patched for the bench: ${bundlePatches.join(', ')}; see the Ingest section. This part uses the synchronous path only, which the patch does not touch.)`] : []),
    ].join('\n');
    return { markdown: md, data: { tq, s1, s2, l1: { ...l1, sample: undefined }, l2: { ...l2, sample: undefined }, l3: { ...l3, sample: undefined }, b1, b2, b3, f1, f2 } };
  } finally {
    await w.dispose();
  }
}
