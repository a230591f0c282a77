// Scorecard benchmark (issue 4): ≥ 1,000,000 items stored across ≥ 120 regions and 3 versions
// of one model (sft → alignment → production), all submitted through the public API
// (POST /v1/regions/{r}/slices, NDJSON), then, with a read key, 200 sequential requests each to
// random regions / versions after a warm-up:
//   GET /v1/regions/{r}/scorecard?model=&version=     target p95 < 20 ms
//   GET /v1/regions/{r}/compare?model=&from=&to=      target p95 < 50 ms (v1→v2 and v2→v3)
//   GET /scorecards?model=&version=                   target p95 < 200 ms (heatmap page, HTML)
//   GET /scorecards/{r}?model=&version=               no target (region page, HTML)
// once at ~100k items stored and again at ≥ 1M, to show they stay flat. Baseline: the
// scorecard's own-region aggregate SELECT with node:sqlite on a copy of the D1 database file.
// Then every D1 statement of each endpoint is traced (lib/trace-entry.mjs) and replayed raw.
import { DatabaseSync } from 'node:sqlite';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateItems, ndjsonSlice, rng } from './lib/gen.mjs';
import { startWorker, threadCpu, cpuDelta, d1SqliteFile, percentile, median, fmt, mib, bundlePatches, ROOT } from './lib/worker.mjs';
import { traceEntry } from './lib/trace-entry.mjs';

export const title = 'Scorecard';

const REGIONS = Number(process.env.BENCH_SCORECARD_REGIONS ?? 125);
const TARGET = Number(process.env.BENCH_SCORECARD_ITEMS ?? 1_000_000);
const FIRST = Number(process.env.BENCH_SCORECARD_FIRST ?? 100_000);
const REQUESTS = 200;
const WARMUP = 20;
const CONCURRENCY = 2;
const MAX_FILL_S = Number(process.env.BENCH_SCORECARD_MAX_FILL_S ?? 300);
export const MODEL_ID = 'avlm-bench';
/** In lifecycle order; filled in this order, so each version's first slice comes after its predecessor's. */
export const VERSIONS = [
  { version: '2026.09.0', stage: 'sft' },
  { version: '2026.10.0', stage: 'alignment' },
  { version: '2026.11.0', stage: 'production' },
];

const q = (s) => encodeURIComponent(s);
const ENDPOINTS = [
  {
    id: 'scorecard', target: 20, json: true,
    name: '`GET /v1/regions/{r}/scorecard?model=&version=`',
    path: (p) => `/v1/regions/${p.region()}/scorecard?model=${q(MODEL_ID)}&version=${q(p.version().version)}`,
    check: (b) => Array.isArray(b.by_policy) && b.by_policy.length > 0,
  },
  {
    id: 'compare', target: 50, json: true,
    name: '`GET /v1/regions/{r}/compare?model=&from=&to=` (v1→v2 or v2→v3)',
    path: (p) => { const i = p.int(VERSIONS.length - 1); return `/v1/regions/${p.region()}/compare?model=${q(MODEL_ID)}&from=${q(VERSIONS[i].version)}&to=${q(VERSIONS[i + 1].version)}`; },
    check: (b) => Array.isArray(b.cells) && b.cells.length > 0,
  },
  {
    id: 'heatmap', target: 200, json: false,
    name: '`GET /scorecards?model=&version=` (heatmap page, HTML)',
    path: (p) => `/scorecards?model=${q(MODEL_ID)}&version=${q(p.version().version)}`,
    check: (b) => b.includes('<table') || b.includes('<html'),
  },
  {
    id: 'region-page', target: null, json: false,
    name: '`GET /scorecards/{r}?model=&version=` (region page, HTML)',
    path: (p) => `/scorecards/${p.region()}?model=${q(MODEL_ID)}&version=${q(p.version().version)}`,
    check: (b) => b.includes('<html') || b.includes('<table'),
  },
];

/** Submits one slice per job ({region, vi, n}), in order, CONCURRENCY POSTs in flight. */
export async function fill(w, jobs, policies, round, deadline, log) {
  let next = 0; let items = 0; let bytes = 0; let slices = 0; let stopped = false;
  const t0 = performance.now();
  const worker = async () => {
    while (next < jobs.length) {
      if (performance.now() > deadline) { stopped = true; return; }
      const i = next++;
      const { region: r, vi, n } = jobs[i];
      const model = { id: MODEL_ID, ...VERSIONS[vi] };
      const sliceId = `bench-sc-${round}-v${vi + 1}-${r.code}`;
      const langs = r.languages.length ? r.languages : ['en'];
      const its = generateItems({ n, seed: 100_000 * round + i + 1, policies, languages: langs, idPrefix: `${r.code}${round}v${vi + 1}` });
      const body = ndjsonSlice({ sliceId, model, items: its });
      const res = await w.api('POST', `/v1/regions/${r.code}/slices`, { body, headers: { 'content-type': 'application/x-ndjson' } });
      if (res.status !== 201) throw new Error(`POST ${r.code} ${model.version} → ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
      items += res.json.items; bytes += body.length; slices++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const s = (performance.now() - t0) / 1000;
  log(`[scorecard] round ${round}: ${fmt(items)} items (${fmt(mib(bytes))} MiB) in ${slices} slices in ${fmt(s, 1)} s → ${fmt(items / s)} items/s${stopped ? ' (stopped at the time cap)' : ''}`);
  return { items, bytes, slices, seconds: s, stopped };
}

/** Slices of `perSlice` items: every region × every version, version by version. */
export const jobsFor = (regions, perSlice) => VERSIONS.flatMap((_, vi) => regions.map((region) => ({ region, vi, n: perSlice })));

export function picker(regions, seed) {
  const r = rng(seed);
  return {
    region: () => regions[Math.floor(r() * regions.length)].code,
    version: () => VERSIONS[Math.floor(r() * VERSIONS.length)],
    int: (n) => Math.floor(r() * n),
  };
}

async function get(w, path, key) {
  const t = performance.now();
  // The Worker's own socket (as on Cloudflare), not Miniflare's dev entry worker: that one
  // re-encodes every response body for the client (~2 ms of the thread per scorecard of ~58 KiB,
  // profile-scorecard), a cost no deployed Worker pays.
  const res = await fetch(new URL(path, w.directUrl ?? w.url), { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  const ms = performance.now() - t;
  return { ms, status: res.status, text };
}

/** REQUESTS sequential GETs of one endpoint after WARMUP ones: latency percentiles + workerd CPU. */
async function latency(w, ep, regions, key, seed) {
  const p = picker(regions, seed);
  const one = async (check) => {
    const path = ep.path(p);
    const g = await get(w, path, key);
    if (g.status !== 200) throw new Error(`${ep.id} ${path} → ${g.status} ${g.text.slice(0, 300)}`);
    if (check && !ep.check(ep.json ? JSON.parse(g.text) : g.text)) throw new Error(`${ep.id} ${path}: unexpected body ${g.text.slice(0, 300)}`);
    return g;
  };
  for (let i = 0; i < WARMUP; i++) await one(i < 3);
  const ms = [];
  let bytes = 0;
  const c0 = threadCpu(w.pid);
  for (let i = 0; i < REQUESTS; i++) { const g = await one(false); ms.push(g.ms); bytes += Buffer.byteLength(g.text); }
  const cpuPerRequest = cpuDelta(c0, threadCpu(w.pid)).total / REQUESTS;
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: Math.max(...ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length, cpuPerRequest, bytes: bytes / REQUESTS };
}

async function latencies(w, regions, key, seed, log, at) {
  const out = {};
  for (const ep of ENDPOINTS) {
    out[ep.id] = await latency(w, ep, regions, key, seed);
    const l = out[ep.id];
    log(`[scorecard] ${at}: ${ep.id} p50 ${fmt(l.p50, 1)} / p95 ${fmt(l.p95, 1)} / p99 ${fmt(l.p99, 1)} ms, CPU ${fmt(l.cpuPerRequest, 1)} ms/request${ep.target ? ` (target p95 < ${ep.target})` : ''}`);
  }
  return out;
}

/**
 * Waits until every committed slice is copied into its item partition (queued
 * PARTITION_SYNC_DELAY_SECONDS after each commit): the copies run in the same local workerd and
 * would otherwise be measured as the endpoints' CPU and latency. Seconds waited.
 */
export async function partitionsSynced(w, log) {
  const t0 = performance.now();
  for (;;) {
    const r = await w.db.prepare(`SELECT COUNT(*) AS n FROM slices s LEFT JOIN partition_sync p ON p.region = s.region AND p.slice_id = s.slice_id AND p.slice_pk = s.pk
      WHERE s.status IN ('complete', 'probing') AND p.slice_pk IS NULL`).first();
    if (r.n === 0) break;
    if (performance.now() - t0 > 1_800_000) throw new Error(`${r.n} slices not in their item partitions after 1,800 s`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  const s = (performance.now() - t0) / 1000;
  log(`[scorecard] item partitions in sync after ${fmt(s, 1)} s`);
  return s;
}

async function stored(w) {
  return w.db.prepare(`SELECT (SELECT COALESCE(SUM(items), 0) FROM slices WHERE status IN ('complete', 'probing')) AS items,
    (SELECT COUNT(DISTINCT region) FROM slices WHERE status IN ('complete', 'probing')) AS regions,
    (SELECT COUNT(DISTINCT model_version) FROM slices WHERE status IN ('complete', 'probing') AND model_id = '${MODEL_ID}') AS versions,
    (SELECT COUNT(*) FROM slices WHERE status IN ('complete', 'probing')) AS slices,
    (SELECT COUNT(*) FROM item_chunks) AS chunks, (SELECT COUNT(*) FROM aggregates) AS aggregates`).first();
}

/** `aggregates` rows of the bench model by metric family ('counts' = items … fn; else the prefix up to ':'). */
async function families(w) {
  const { results } = await w.db.prepare(`SELECT CASE WHEN metric IN ('items', 'failures', 'excluded', 'pending', 'tp', 'tn', 'fp', 'fn') THEN 'counts'
      WHEN instr(metric, ':') > 0 THEN substr(metric, 1, instr(metric, ':')) ELSE metric END AS family, COUNT(*) AS n
    FROM aggregates WHERE model_id = ? GROUP BY family ORDER BY n DESC`).bind(MODEL_ID).all();
  return results;
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

const OWN_REGION_SQL = 'SELECT policy, metric, value FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ?';

/** The scorecard's own-region aggregate read, straight on a copy of the D1 SQLite file. */
function rawBaseline(persist, regions, seed) {
  const c = openCopy(persist);
  if (!c) return null;
  try {
    const st = c.db.prepare(OWN_REGION_SQL);
    const p = picker(regions, seed);
    const ms = [];
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      const code = p.region();
      const v = p.version().version;
      const t = performance.now();
      const rows = st.all(code, MODEL_ID, v);
      const dt = performance.now() - t;
      if (!rows.length) throw new Error(`no aggregates for ${code} ${v}`);
      if (i >= WARMUP) ms.push(dt);
    }
    const plan = c.db.prepare(`EXPLAIN QUERY PLAN ${OWN_REGION_SQL}`).all('BR', MODEL_ID, VERSIONS[0].version).map((x) => x.detail).join('; ');
    return { p50: percentile(ms, 50), p95: percentile(ms, 95), plan };
  } finally {
    c.close();
  }
}

const TRACED = 30;
const norm = (sql) => sql.replace(/\s+/g, ' ').trim();

/**
 * Every D1 statement of each endpoint's requests: restarts workerd on the same data with a
 * wrapper entry that records them (see lib/trace-entry.mjs), runs TRACED requests per endpoint,
 * then replays each statement (batch members one by one) on a copy of the D1 file with
 * node:sqlite (time + query plan).
 */
async function traceQueries(w, regions, key, seed) {
  await w.restart({ entrySource: traceEntry(w.script) });
  const perEp = [];
  for (const ep of ENDPOINTS) {
    const p = picker(regions, seed);
    const wall = [];
    const recs = [];
    for (let i = 0; i < TRACED + 5; i++) {
      const path = ep.path(p);
      const g = await get(w, path, key);
      if (g.status !== 200) throw new Error(`traced ${ep.id} ${path} → ${g.status}`);
      const tr = (await w.api('GET', '/__bench/trace')).json;
      if (i >= 5) { wall.push(g.ms); recs.push(tr); }
    }
    const by = new Map();
    const add = (k, sql, args, ms, rows, member) => {
      const e = by.get(k) ?? { sql, n: 0, ms: 0, rows: 0, args, member };
      e.n++; e.ms += ms ?? 0; e.rows += rows; by.set(k, e);
    };
    for (const tr of recs) for (const r of tr) {
      const sql = norm(r.sql);
      add(sql, sql, r.args, r.ms, r.rows, false);
      for (const m of r.members ?? []) add(`${sql} ↳ ${norm(m.sql)}`, norm(m.sql), m.args, null, m.rows, sql);
    }
    perEp.push({ ep, wall, by });
  }
  const c = openCopy(w.persist);
  const out = [];
  try {
    for (const { ep, wall, by } of perEp) {
      const queries = [];
      for (const e of by.values()) {
        let raw = null; let plan = '';
        if (!e.sql.startsWith('BATCH')) {
          try {
            plan = c.db.prepare(`EXPLAIN QUERY PLAN ${e.sql}`).all(...e.args).map((x) => x.detail).join('; ');
            const st = c.db.prepare(e.sql);
            const ms = [];
            for (let i = 0; i < 15; i++) { const t = performance.now(); st.all(...e.args); ms.push(performance.now() - t); }
            raw = median(ms);
          } catch (err) { plan = `(replay failed: ${err.message})`; }
        }
        queries.push({ sql: e.sql, member: e.member, perRequest: e.n / TRACED, workerMs: e.member ? null : e.ms / e.n, rows: e.rows / e.n, raw, plan });
      }
      // Top-level statements by Worker time, each batch followed by its members (by raw time).
      const top = queries.filter((x) => !x.member).sort((a, b) => b.workerMs * b.perRequest - a.workerMs * a.perRequest);
      const ordered = top.flatMap((t) => [t, ...queries.filter((x) => x.member === t.sql).sort((a, b) => (b.raw ?? 0) - (a.raw ?? 0))]);
      const d1PerRequest = top.reduce((s, x) => s + x.workerMs * x.perRequest, 0);
      const rawPerRequest = queries.reduce((s, x) => s + (x.raw ?? 0) * x.perRequest, 0);
      out.push({ id: ep.id, name: ep.name, queries: ordered, wallP50: percentile(wall, 50), d1PerRequest, rawPerRequest });
    }
  } finally { c.close(); }
  return out;
}

/** Whether a migration in db/migrations creates the named index. */
function migrationIndex(name) {
  const dir = join(ROOT, 'db/migrations');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.sql')).sort()) {
    if (new RegExp(`CREATE\\s+INDEX\\s+(IF\\s+NOT\\s+EXISTS\\s+)?\`?${name}\`?\\s`, 'i').test(readFileSync(join(dir, f), 'utf8'))) return f;
  }
  return null;
}

export async function run({ log = console.log } = {}) {
  log('[scorecard] starting the Worker in Miniflare…');
  const w = await startWorker({ directSocket: true });
  try {
    const policies = (await w.api('GET', '/v1/policies')).json.policies;
    const all = (await w.api('GET', '/v1/regions')).json.regions;
    const regions = all.filter((r) => r.languages.length).slice(0, REGIONS);
    if (regions.length < REGIONS) throw new Error(`only ${regions.length} regions seeded`);
    const keyRes = await w.api('POST', '/v1/admin/keys', { body: JSON.stringify({ regions: ['*'], scopes: ['read'] }), headers: { 'content-type': 'application/json' } });
    if (keyRes.status !== 201) throw new Error(`POST /v1/admin/keys → ${keyRes.status} ${JSON.stringify(keyRes.json)}`);
    const key = keyRes.json.key;
    const deadline = performance.now() + MAX_FILL_S * 1000;
    const nv = VERSIONS.length;

    const perFirst = Math.ceil(FIRST / (regions.length * nv));
    const f1 = await fill(w, jobsFor(regions, perFirst), policies, 1, Infinity, log);
    const s1 = await stored(w);
    await partitionsSynced(w, log);
    const l1 = await latencies(w, regions, key, 11, log, `at ${fmt(s1.items)} items`);
    const b1 = rawBaseline(w.persist, regions, 11);

    const perSecond = Math.ceil((TARGET - s1.items) / (regions.length * nv));
    const f2 = await fill(w, jobsFor(regions, perSecond), policies, 2, deadline, log);
    const s2 = await stored(w);
    const fam = await families(w);
    await partitionsSynced(w, log);
    const l2 = await latencies(w, regions, key, 22, log, `at ${fmt(s2.items)} items`);
    const b2 = rawBaseline(w.persist, regions, 22);

    log('[scorecard] tracing the D1 statements of each endpoint…');
    const tq = await traceQueries(w, regions, key, 33);

    const regionIndex = migrationIndex('aggregates_region_cell');
    const fillItems = f1.items + f2.items; const fillS = f1.seconds + f2.seconds;
    const versionsText = VERSIONS.map((v) => `\`${v.version}\` (${v.stage})`).join(' → ');
    const sc = (s, l, b) => `| ${fmt(s.items)} | ${s.regions} | ${s.versions} | ${fmt(s.chunks)} | ${fmt(s.aggregates)} | ${fmt(l.p50, 1)} | **${fmt(l.p95, 1)}** | ${fmt(l.p99, 1)} | ${fmt(l.max, 1)} | ${fmt(l.cpuPerRequest, 1)} | ${b ? `${fmt(b.p50, 2)} / ${fmt(b.p95, 2)}` : '—'} |`;
    const verdict = (ep, l) => (ep.target === null ? '—' : l.p95 < ep.target ? `< ${ep.target} ✓` : `< ${ep.target} **✗ missed**`);
    const epRow = (ep) => {
      const a = l1[ep.id]; const b = l2[ep.id];
      return `| ${ep.name} | ${fmt(b.p50, 1)} | **${fmt(b.p95, 1)}** | ${fmt(b.p99, 1)} | ${fmt(b.max, 1)} | ${verdict(ep, b)} | ${fmt(b.cpuPerRequest, 1)} | ${fmt(b.bytes / 1024, 1)} | ${fmt(a.p95, 1)} / ${fmt(a.cpuPerRequest, 1)} | ${fmt(b.p95 / a.p95, 2)}× / ${fmt(b.cpuPerRequest / a.cpuPerRequest, 2)}× |`;
    };
    const missed = ENDPOINTS.filter((ep) => ep.target !== null && l2[ep.id].p95 >= ep.target);
    const cell = (x, d) => (x === null || x === undefined ? '—' : fmt(x, d));
    const traceRows = (t) => t.queries.map((x) => {
      const sql = x.sql.length > 150 ? `${x.sql.slice(0, 147)}…` : x.sql;
      return `| ${x.member ? '↳ ' : ''}\`${sql}\` | ${fmt(x.perRequest, 1)} | ${fmt(x.rows)} | ${x.member ? '(in the batch)' : fmt(x.workerMs, 1)} | ${cell(x.raw, 2)} | ${x.plan.replace(/\|/g, '\\|')} |`;
    });
    const md = [
      `Data: ${fmt(s2.items)} items in ${s2.regions} regions × ${s2.versions} versions of model \`${MODEL_ID}\`, ${versionsText}, ${fmt(s2.slices)} slices (for each version in that order, ${regions.length} regions × one slice of ${fmt(perFirst)} items; then again for each version, one more slice of ${fmt(perSecond)} items per region), all submitted through \`POST /v1/regions/{r}/slices\` as NDJSON (below ASYNC_INGEST_BYTES, so processed in the request → \`201\`), ${CONCURRENCY} requests in flight: ${fmt(fillItems)} items in ${fmt(fillS, 1)} s (${fmt(fillItems / fillS)} items/s through the synchronous path, item generation in the same Node process included)${f2.stopped ? ` — **stopped at the ${MAX_FILL_S} s cap before the target**` : ''}.`,
      '',
      `Latency: with a read key (\`regions: ["*"]\`, so every request also does the key's SHA-256 + D1 lookup; the pages get it as the bearer header), ${REQUESTS} sequential requests per endpoint to random regions / versions after ${WARMUP} warm-up requests, over HTTP from Node on loopback to the Worker's own socket (Miniflare's \`unsafeDirectSockets\`, as a Worker is reached on Cloudflare; until session 7 this went through Miniflare's dev entry worker, which re-encodes each response body for the client: ~2 ms of the thread per 58 KiB scorecard) (time to the last byte of the body). \`workerd CPU ms / request\`: CPU time of the whole workerd process (Worker + D1 simulator) over the ${REQUESTS} requests ÷ ${REQUESTS}, steadier than latency on a shared machine.`,
      '',
      `At ${fmt(s2.items)} items (issue 4 targets on p95):`,
      '',
      `| endpoint | p50 ms | p95 ms | p99 ms | max ms | p95 target | workerd CPU ms / request | response KiB | at ${fmt(s1.items)} items: p95 ms / CPU ms | ${fmt(s2.items)} vs ${fmt(s1.items)}: p95 / CPU |`,
      '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|',
      ...ENDPOINTS.map(epRow),
      '',
      missed.length ? `**Missed:** ${missed.map((ep) => `${ep.id} (p95 ${fmt(l2[ep.id].p95, 1)} ms ≥ ${ep.target} ms)`).join(', ')} — see the statements below.` : 'All three targets met.',
      '',
      `Scorecard alone, 100k vs 1M items (random region and version of the three):`,
      '',
      '| items stored | regions | versions | `item_chunks` rows | `aggregates` rows | p50 ms | p95 ms (target < 20) | p99 ms | max ms | workerd CPU ms / request | raw SQLite: own-region aggregates SELECT p50 / p95 ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      sc(s1, l1.scorecard, b1),
      sc(s2, l2.scorecard, b2),
      '',
      `p95 at ${fmt(s2.items)} vs ${fmt(s1.items)} items: ${fmt(l2.scorecard.p95 / l1.scorecard.p95, 2)}×; CPU per request ${fmt(l2.scorecard.cpuPerRequest / l1.scorecard.cpuPerRequest, 2)}×. The scorecard, compare and the pages read counters kept at ingest (\`aggregates\`, ${fmt(s2.aggregates / (s2.regions * s2.versions))} rows per region × version here), never the items, so their cost does not follow the number of items stored; it does follow regions × policies × metrics of the model version (the heatmap and the scorecard's cross-region counts read every region's rows of the version). The raw column is the scorecard's own-region read alone (\`${OWN_REGION_SQL}\`) in-process on a copy of the D1 file: no HTTP, auth, Worker or JSON; its plan: ${b2?.plan ?? '—'}${regionIndex ? ` (\`aggregates_region_cell\`, the region-first covering index of ${regionIndex}; the former "what-if: + region-first index" row measured that same index and is gone).` : '.'}`,
      '',
      `\`aggregates\` rows per region × version at ${fmt(s2.items)} items, by metric family: ${fam.map((f) => `${f.family} ${fmt(f.n / (s2.regions * s2.versions))}`).join(', ')} (what a \`SELECT policy, metric, value FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ?\` returns and the local D1 hands to the Worker row by row).`,
      '',
      `D1 statements per endpoint at ${fmt(s2.items)} items (${TRACED} traced requests per endpoint on a restarted instance whose entry wraps the real Worker and records each statement; \`Worker ms\` = mean time from the call to its answer inside the Worker, 1 ms clock resolution; a batch is timed as a whole and its members (↳) are listed under it; \`raw\` = median of the same statement with the same values on a copy of the D1 file via node:sqlite, plan from EXPLAIN QUERY PLAN). D1 waits can add up to more than the request when statements run concurrently (Promise.all), since the single local D1 instance answers them one after the other.`,
      '',
      ...tq.flatMap((t) => [
        `${t.name}: traced requests took ${fmt(t.wallP50, 1)} ms (p50); D1 waits ${fmt(t.d1PerRequest, 1)} ms per request; raw SQLite of its statements ${fmt(t.rawPerRequest, 2)} ms per request.`,
        '',
        '| statement | per request | rows | Worker ms | raw SQLite ms | query plan |',
        '|---|---:|---:|---:|---:|---|',
        ...traceRows(t),
        '',
      ]),
      ...(bundlePatches.length ? [`(Bundle patched for the bench: ${bundlePatches.join(', ')}; see the Ingest section. This part uses the synchronous path only, which the patch does not touch.)`] : []),
    ].join('\n');
    return { markdown: md, data: { tq, s1, s2, fam, l1, l2, b1, b2, f1, f2 } };
  } finally {
    await w.dispose();
  }
}
