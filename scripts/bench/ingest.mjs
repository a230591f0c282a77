// Ingest benchmark: one 100,000-item NDJSON slice POSTed over real HTTP to the Worker running in
// Miniflare. The body has a content-length between ASYNC_INGEST_BYTES and STREAM_INGEST_BYTES, so
// the Worker ingests it in one pass within the request (functions/ingest/stream.ts: validate,
// diagnose, pack item parts into D1 while the body streams, one commit batch) and answers 201:
// timed from the POST to the 201, then a GET confirms status and item count. 5 runs with
// different slice_ids, median reported. Side by side, one after each run: the same rows
// bulk-inserted into a plain SQLite file with node:sqlite (one transaction).
// Then, not in the ratio: one run of the same slice via the queue path (sent chunked, without a
// content-length: 202 → R2 → Queue → consumer → D1), what a slice above STREAM_INGEST_BYTES
// costs; and two untimed heap runs, each in a new workerd with the inspector on, sampling the
// Worker isolate's V8 heap: one plain (Runtime.getHeapUsage every HEAP_SAMPLE_MS), one forcing a
// full GC before each sample (HeapProfiler.collectGarbage, every HEAP_GC_MS) for the live heap.
import { DatabaseSync } from 'node:sqlite';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateItems, ndjsonSlice } from './lib/gen.mjs';
import { sampleHeap } from './lib/cdp.mjs';
import { ROOT, ADMIN_TOKEN, startWorker, threadCpu, cpuDelta, sampleRss, median, percentile, sleep, fmt, mib, bundlePatches } from './lib/worker.mjs';

export const title = 'Ingest';

const N = Number(process.env.BENCH_INGEST_ITEMS ?? 100_000);
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 5);
const REGION = 'BR';
const MODEL = { id: 'avlm-bench', version: '2026.11.0', stage: 'production' };
const POLL_MS = 100;
const HEAP_SAMPLE_MS = 50;
const HEAP_GC_MS = 100;
const CHUNKED_PIECE = 1024 * 1024; // the queue run's body: a stream of 1 MiB pieces, no content-length
const LIMIT = 128 * 1000 * 1000; // the Workers memory limit, "128 MB"
const INSPECTOR_PORT = Number(process.env.BENCH_INGEST_INSPECTOR_PORT ?? 9340);
const WORKER_WS = `ws://127.0.0.1:${INSPECTOR_PORT}/core:user:avlm-diag`; // Miniflare's inspector proxy, the Worker's isolate

/** STREAM_INGEST_BYTES as wrangler.toml sets it (the harness passes it on, so the bench mirrors it). */
function streamIngestBytes() {
  const t = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  return /^STREAM_INGEST_BYTES\s*=\s*"(\d+)"/m.exec(t)?.[1] ?? '64000000';
}

const sliceRow = (w, sliceId) => w.db.prepare(
  `SELECT s.pk, s.created_at, s.updated_at, (SELECT COUNT(*) FROM item_chunks c WHERE c.slice_pk = s.pk) AS chunks,
          (SELECT SUM(length(data)) FROM item_chunks c WHERE c.slice_pk = s.pk) AS chunk_bytes
   FROM slices s WHERE region = ? AND slice_id = ?`,
).bind(REGION, sliceId).first();

/**
 * Waits until the slice's copy into its item partition (queued PARTITION_SYNC_DELAY_SECONDS after
 * the commit) is done, so the next run does not share the CPU with it; ms from the 201.
 */
async function waitForPartition(w, sliceId, t201) {
  for (;;) {
    const r = await w.db.prepare('SELECT items FROM partition_sync WHERE region = ? AND slice_id = ?').bind(REGION, sliceId).first();
    if (r && r.items === N) return performance.now() - t201;
    if (performance.now() - t201 > 600_000) throw new Error(`slice ${sliceId}: no partition sync after 600 s`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function getSlice(w, sliceId) {
  const g = await w.api('GET', `/v1/regions/${REGION}/slices/${sliceId}`);
  if (g.status !== 200) throw new Error(`GET slice ${sliceId} → ${g.status} ${JSON.stringify(g.json).slice(0, 300)}`);
  return g.json;
}

/** Peaks of a set of heap samples. */
function peaks(ss) {
  const mx = (f) => (ss.length ? Math.max(...ss.map(f)) : NaN);
  return { n: ss.length, used: mx((s) => s.used), total: mx((s) => s.total), backing: mx((s) => s.backing ?? 0), usedPlusBacking: mx((s) => s.used + (s.backing ?? 0)) };
}

/**
 * One slice through the stream path: POST with content-length → 201 (timed), GET confirms.
 * heap: {ws, ms, forceGc} samples the isolate's heap meanwhile.
 */
async function ingestStream(w, body, sliceId, log, { heap: heapOpts } = {}) {
  const pump = () => getSlice(w, sliceId).catch(() => undefined); // gives a pending forced GC its task
  const heap = heapOpts ? await sampleHeap(heapOpts.ws, heapOpts.ms, { forceGc: heapOpts.forceGc, pump }) : null;
  const rss = sampleRss(w.pid, 100);
  const cpu0 = threadCpu(w.pid);
  const wall0 = Date.now();
  const t0 = performance.now();
  const post = await w.api('POST', `/v1/regions/${REGION}/slices`, { body, headers: { 'content-type': 'application/x-ndjson' } });
  const t201 = performance.now();
  const mem = rss.stop();
  const cpu = cpuDelta(cpu0, threadCpu(w.pid));
  const hp = heap ? await heap.stop() : null;
  if (post.status !== 201) {
    throw new Error(`POST → ${post.status} ${JSON.stringify(post.json).slice(0, 300)} (expected 201 from the stream path: a ${body.length}-byte body with a content-length between ASYNC_INGEST_BYTES ${w.cfg.asyncIngestBytes} and STREAM_INGEST_BYTES)`);
  }
  if (post.json.status !== 'complete' || post.json.items !== N) throw new Error(`POST → 201 ${JSON.stringify(post.json).slice(0, 300)} (expected status complete, items ${N})`);
  const row = await getSlice(w, sliceId);
  if (row.status !== 'complete' || row.items !== N) throw new Error(`GET after the 201: status ${row.status}, ${row.items} items (sent ${N})`);
  const srv = await sliceRow(w, sliceId);
  const claimAt = Date.parse(srv.created_at); const commitAt = Date.parse(srv.updated_at);
  const syncMs = await waitForPartition(w, sliceId, t201);
  const r = {
    path: 'stream', sliceId, status: row.status, totalMs: t201 - t0, syncMs,
    // Phases on the shared machine clock: created_at is written at the claim (after the header
    // line), updated_at at the start of the commit (after the last part is written).
    claimMs: claimAt - wall0, streamMs: commitAt - claimAt, commitMs: wall0 + (t201 - t0) - commitAt,
    chunks: srv.chunks, chunkBytes: srv.chunk_bytes, failures: row.failures, excluded: row.excluded, pending: row.pending,
    cpuMs: cpu.total, mainThreadCpuMs: cpu.main,
    rssBaseline: mem.baseline, rssPeak: mem.peak, rssSamples: mem.samples,
  };
  r.itemsPerS = N / (r.totalMs / 1000);
  if (hp) {
    const inRun = hp.samples.filter((s) => s.t > t0 && s.t <= t201);
    const forced = hp.samples.filter((s) => s.forced);
    r.heap = {
      forceGc: !!heapOpts.forceGc, everyMs: heapOpts.ms,
      baseline: hp.samples[0], last: hp.samples.at(-1),
      all: peaks(hp.samples), inRun: peaks(inRun), forcedInRun: peaks(forced.filter((s) => s.t > t0 && s.t <= t201)),
      forced: peaks(forced), gcMs: forced.length ? median(forced.map((s) => s.gcMs)) : NaN,
      // The live heap through the run: the highest forced sample in each quarter of POST → 201.
      quarters: [0, 1, 2, 3].map((q) => peaks(forced.filter((s) => { const f = (s.t - t0) / (t201 - t0); return f > q / 4 && f <= (q + 1) / 4; }))),
      samples: hp.samples.length, maxGapMs: hp.maxGapMs, p95GapMs: hp.gaps.length ? percentile(hp.gaps, 95) : NaN, medianGapMs: hp.gaps.length ? median(hp.gaps) : NaN,
    };
  }
  const h = r.heap;
  log(`  ${sliceId} (stream path): 201 after ${fmt(r.totalMs)} ms (claim ${fmt(r.claimMs)}, stream ${fmt(r.streamMs)}, commit + response ${fmt(r.commitMs)}) → ${fmt(r.itemsPerS)} items/s, workerd CPU ${fmt(r.cpuMs)} ms, RSS +${fmt(mib(r.rssPeak - r.rssBaseline))} MiB, ${r.chunks} chunk rows; in its item partition ${fmt(r.syncMs)} ms after the 201${h ? `; heap${h.forceGc ? ' (forced GC)' : ''} peak used ${fmt(mib(h.all.used), 1)} / total ${fmt(mib(h.all.total), 1)} MiB, backing ${fmt(mib(h.all.backing), 1)} MiB, ${h.samples} samples, max gap ${fmt(h.maxGapMs)} ms` : ''}`);
  return r;
}

/** The same slice through the queue path: sent chunked (no content-length) → 202, polled until done. */
async function ingestQueued(w, body, sliceId, log) {
  const rss = sampleRss(w.pid, 100);
  const cpu0 = threadCpu(w.pid);
  const wall0 = Date.now();
  const t0 = performance.now();
  let off = 0;
  const stream = new ReadableStream({
    pull(c) { if (off >= body.length) { c.close(); return; } c.enqueue(new Uint8Array(body.subarray(off, off + CHUNKED_PIECE))); off += CHUNKED_PIECE; },
  });
  const res = await fetch(new URL(`/v1/regions/${REGION}/slices`, w.url), {
    method: 'POST', body: stream, duplex: 'half', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-ndjson' },
  });
  const text = await res.text();
  const t202 = performance.now();
  if (res.status !== 202) throw new Error(`chunked POST → ${res.status} ${text.slice(0, 300)} (expected 202 from the queue path)`);
  let row;
  for (;;) {
    row = await getSlice(w, sliceId);
    if (row.status === 'failed') throw new Error(`slice failed: ${row.error}`);
    if (row.status !== 'processing') break;
    await sleep(POLL_MS);
  }
  const tDone = performance.now();
  const mem = rss.stop();
  const cpu = cpuDelta(cpu0, threadCpu(w.pid));
  if (row.items !== N) throw new Error(`slice reports ${row.items} items, sent ${N}`);
  const srv = await sliceRow(w, sliceId);
  const r = {
    path: 'queue', sliceId, status: row.status, totalMs: tDone - t0, post202Ms: t202 - t0,
    submitMs: Date.parse(srv.created_at) - wall0,
    consumerMs: Date.parse(srv.updated_at) - Date.parse(srv.created_at),
    tailMs: wall0 + (tDone - t0) - Date.parse(srv.updated_at),
    chunks: srv.chunks, chunkBytes: srv.chunk_bytes,
    cpuMs: cpu.total, mainThreadCpuMs: cpu.main, rssBaseline: mem.baseline, rssPeak: mem.peak,
  };
  r.itemsPerS = N / (r.totalMs / 1000);
  log(`  ${sliceId} (queue path): done after ${fmt(r.totalMs)} ms (submit ${fmt(r.submitMs)}, consumer ${fmt(r.consumerMs)}, 202 after ${fmt(r.post202Ms)}) → ${fmt(r.itemsPerS)} items/s, workerd CPU ${fmt(r.cpuMs)} ms`);
  return r;
}

/** The same items as ~10-column rows in a plain SQLite file: parse NDJSON, one transaction. */
function rawSqlite(body, policies) {
  const dir = mkdtempSync(join(tmpdir(), 'avlm-bench-sqlite-'));
  try {
    const file = join(dir, 'raw.db');
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
      CREATE TABLE items (item_id TEXT PRIMARY KEY, surface TEXT NOT NULL, language TEXT, policy TEXT NOT NULL,
        violating INTEGER, score REAL, threshold REAL NOT NULL, outcome TEXT NOT NULL, "primary" TEXT, json TEXT NOT NULL)`);
    const thr = new Map(policies.map((p) => [p.code, p.threshold]));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const text = body.toString('utf8');
    const lines = text.split('\n');
    const rows = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (!line) continue;
      const it = JSON.parse(line);
      const T = it.prediction?.threshold ?? thr.get(it.policy);
      const v = it.label?.violating;
      const pred = it.prediction.score >= T;
      const outcome = v === undefined ? 'pending' : v ? (pred ? 'TP' : 'FN') : (pred ? 'FP' : 'TN');
      const primary = outcome === 'FP' || outcome === 'FN' ? (it.probes ? 'UNEXPLAINED' : 'UNPROBED') : null;
      rows.push([it.item_id, it.surface, it.language ?? null, it.policy, v === undefined ? null : v ? 1 : 0, it.prediction.score, T, outcome, primary, line]);
    }
    const tParsed = performance.now();
    const ins = db.prepare('INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?)');
    db.exec('BEGIN');
    for (const r of rows) ins.run(...r);
    db.exec('COMMIT');
    const tDone = performance.now();
    const cu = process.cpuUsage(c0);
    const n = db.prepare('SELECT COUNT(*) AS n FROM items').get().n;
    db.close();
    if (n !== N) throw new Error(`raw sqlite holds ${n} rows`);
    return { totalMs: tDone - t0, insertMs: tDone - tParsed, parseMs: tParsed - t0, cpuMs: (cu.user + cu.system) / 1000, bytes: statSync(file).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run({ log = console.log } = {}) {
  const streamBytes = streamIngestBytes();
  log(`[ingest] starting the Worker in Miniflare (STREAM_INGEST_BYTES=${streamBytes})…`);
  const vars = { STREAM_INGEST_BYTES: streamBytes };
  const w = await startWorker({ maxBatchTimeout: 0.05, vars });
  let policies; let bodies; let runs; let queued; let heapPlain; let heapGc; const raws = [];
  try {
    policies = (await w.api('GET', '/v1/policies')).json.policies.map((p) => ({ code: p.code, threshold: p.threshold }));
    const region = (await w.api('GET', '/v1/regions')).json.regions.find((r) => r.code === REGION);
    const languages = [...new Set([...(region?.languages ?? ['pt']).map((l) => (l === 'pt' ? 'pt-BR' : l)), 'en', 'es'])];
    log(`[ingest] generating ${fmt(N)} items (seed 1)…`);
    const items = [...generateItems({ n: N, seed: 1, policies, languages })];
    const runTag = Date.now().toString(36);
    bodies = Array.from({ length: RUNS + 3 }, (_, i) => {
      const sliceId = `bench-ingest-${runTag}-${i + 1}`;
      return { sliceId, body: ndjsonSlice({ sliceId, model: MODEL, items }) };
    });
    const bytes0 = bodies[0].body.length;
    log(`[ingest] slice: ${fmt(N)} items, ${fmt(mib(bytes0), 1)} MiB NDJSON (${fmt(bytes0 / N)} B/item); ASYNC_INGEST_BYTES=${w.cfg.asyncIngestBytes}, STREAM_INGEST_BYTES=${streamBytes}`);
    if (!(bytes0 > Number(w.cfg.asyncIngestBytes) && bytes0 <= Number(streamBytes))) {
      throw new Error(`the slice (${bytes0} bytes) is not between ASYNC_INGEST_BYTES and STREAM_INGEST_BYTES: it would not take the stream path`);
    }
    // Interleaved with the raw SQLite runs (one after each), so that both sides of the ratio
    // see the same machine: on a shared VM the speed drifts over a minute.
    runs = [];
    for (const { sliceId, body } of bodies.slice(0, RUNS)) {
      runs.push(await ingestStream(w, body, sliceId, log));
      raws.push(rawSqlite(bodies[0].body, policies));
    }
    // The queue path, in the same (warm) workerd: the same slice sent without a content-length.
    log('[ingest] queue path: the same slice sent chunked (no content-length) → R2 → Queue → consumer…');
    queued = await ingestQueued(w, bodies[RUNS].body, bodies[RUNS].sliceId, log);
    // Heap: separate, untimed runs, so the inspector stays out of the timed ones. Each in a new
    // workerd on the same stored data, with the inspector on: an isolate that has not run an ingest.
    log(`[ingest] heap run 1: new workerd with the inspector on :${INSPECTOR_PORT}, Runtime.getHeapUsage every ${HEAP_SAMPLE_MS} ms…`);
    await w.restart({ inspectorPort: INSPECTOR_PORT, vars });
    heapPlain = await ingestStream(w, bodies[RUNS + 1].body, bodies[RUNS + 1].sliceId, log, { heap: { ws: WORKER_WS, ms: HEAP_SAMPLE_MS } });
    log(`[ingest] heap run 2: new workerd, HeapProfiler.collectGarbage + Runtime.getHeapUsage every ${HEAP_GC_MS} ms…`);
    await w.restart({ inspectorPort: INSPECTOR_PORT, vars });
    heapGc = await ingestStream(w, bodies[RUNS + 2].body, bodies[RUNS + 2].sliceId, log, { heap: { ws: WORKER_WS, ms: HEAP_GC_MS, forceGc: true } });
  } finally {
    await w.dispose();
  }
  const bytes = bodies[0].body.length;


  const m = (k) => median(runs.map((r) => r[k]));
  const worker = { totalMs: m('totalMs'), claimMs: m('claimMs'), streamMs: m('streamMs'), commitMs: m('commitMs'), cpuMs: m('cpuMs'), mainMs: m('mainThreadCpuMs') };
  worker.itemsPerS = N / (worker.totalMs / 1000);
  const rawMs = median(raws.map((r) => r.totalMs));
  const rawInsertMs = median(raws.map((r) => r.insertMs));
  const raw = { totalMs: rawMs, itemsPerS: N / (rawMs / 1000), insertOnlyPerS: N / (rawInsertMs / 1000), insertMs: rawInsertMs, cpuMs: median(raws.map((r) => r.cpuMs)) };
  const ratio = worker.itemsPerS / raw.itemsPerS;
  const cpuRatio = raw.cpuMs / worker.cpuMs; // items per CPU-second, Worker vs raw
  const qRatio = queued.itemsPerS / raw.itemsPerS;
  // RSS never shrinks much between runs: baseline before the first run, peak over all runs.
  const rssBase = runs[0].rssBaseline;
  const rssPeak = Math.max(...runs.map((r) => r.rssPeak));
  const rssDelta = rssPeak - rssBase;
  const pct = (a, b) => `${fmt((100 * a) / b)} %`;
  const m1 = (b) => (Number.isFinite(b) ? fmt(mib(b), 1) : '—');
  const mb = (b) => fmt(b / 1e6, 1);
  const hp = heapPlain.heap;
  const hg = heapGc.heap;
  // The claim for the 128 MB limit rests on the live heap (after a forced GC) plus backing stores.
  const live = hg.forcedInRun.used;
  const liveAll = hg.forcedInRun.usedPlusBacking;
  const q = hg.quarters.map((x) => x.used);
  // Growth of the live heap per MiB of body while it streams, 1st → 3rd quarter (the body is read
  // at a roughly even pace; the 4th quarter holds the slice's end: every partly filled bucket
  // sealed and written in ~1 MB batches, then the commit). A rough estimate for a body of
  // STREAM_INGEST_BYTES: the streaming growth continued, plus the end's extra scaled with the
  // bucket count (∝ body size).
  const perMiB = Number.isFinite(q[0]) && Number.isFinite(q[2]) ? Math.max(0, (q[2] - q[0]) / (0.5 * bytes)) : NaN; // MiB per MiB
  const endExtra = Math.max(0, q[3] - q[2]);
  const atStreamMax = q[2] + perMiB * (Number(streamBytes) - bytes) + endExtra * (Number(streamBytes) / bytes);
  const grows = perMiB > 0.5; // more than half a MiB of live heap per MiB of body read
  const md = [
    ...(bundlePatches.length ? [`> **Measured with a bench-only patch of the bundle** (scripts/bench/lib/worker.mjs): ${bundlePatches.join(', ')}.`, ''] : []),
    `Slice: ${fmt(N)} items, ${fmt(mib(bytes), 1)} MiB NDJSON (${fmt(bytes / N)} B/item; surfaces vod/short/live/image, live streams with ordered segments, all ${policies.length} policies, votes on ~15 %, probes on ~60 % of the failures, no \`features\`), region ${REGION}, POSTed as \`application/x-ndjson\` with a content-length, which lies between ASYNC_INGEST_BYTES (${fmt(Number(w.cfg.asyncIngestBytes))}) and STREAM_INGEST_BYTES (${fmt(Number(streamBytes))}, as in wrangler.toml): the **stream path** (functions/ingest/stream.ts) — one pass within the request, each line validated, diagnosed and packed into item parts that go to D1 while the body still arrives, then one commit batch → \`201\` with the summary. Timed from the POST to the \`201\`; a GET then confirms \`status: complete\` and ${fmt(N)} items. Median of ${RUNS} runs, each a new \`slice_id\` in the same Miniflare instance, each followed by one raw SQLite run (interleaved, so both sides of the ratio ran on the machine as it was then).`,
    '',
    '| path | wall time | items/s | vs raw SQLite | CPU time | items per CPU-s | vs raw (CPU) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| **Worker, stream path**: POST → \`201\` (Miniflare, local D1; CPU = whole workerd process) | ${fmt(worker.totalMs)} ms | ${fmt(worker.itemsPerS)} | **${fmt(ratio, 2)}×** (target ≥ 0.5×) | ${fmt(worker.cpuMs)} ms | ${fmt(N / (worker.cpuMs / 1000))} | ${fmt(cpuRatio, 2)}× |`,
    `| raw SQLite: node:sqlite, file DB (WAL), one transaction, one 10-column row per item (item_id, surface, language, policy, violating, score, threshold, outcome, primary, json); JSON.parse of each line included | ${fmt(raw.totalMs)} ms | ${fmt(raw.itemsPerS)} | 1× | ${fmt(raw.cpuMs)} ms | ${fmt(N / (raw.cpuMs / 1000))} | 1× |`,
    `| raw SQLite, the INSERTs alone (rows prebuilt) | ${fmt(raw.insertMs)} ms | ${fmt(raw.insertOnlyPerS)} | — | — | — | — |`,
    `| Worker, queue path (not in the ratio; 1 run): the same slice sent chunked, without a content-length → \`202\` → R2 multipart → Queue → consumer → D1; POST → GET says \`${queued.status}\` (polled every ${POLL_MS} ms) | ${fmt(queued.totalMs)} ms | ${fmt(queued.itemsPerS)} | (${fmt(qRatio, 2)}×) | ${fmt(queued.cpuMs)} ms | ${fmt(N / (queued.cpuMs / 1000))} | (${fmt(raw.cpuMs / queued.cpuMs, 2)}×) |`,
    '',
    `The queue path is what a slice above STREAM_INGEST_BYTES, or one sent without a content-length, costs: the body is validated and hashed while it streams into R2 (submit), then read back and diagnosed by the queue consumer, so it is split and JSON-parsed twice. In this run: submit (POST → claim, the body in R2) ${fmt(queued.submitMs)} ms, consumer (claim → commit) ${fmt(queued.consumerMs)} ms, commit → the poll sees it ${fmt(queued.tailMs)} ms; the \`202\` came after ${fmt(queued.post202Ms)} ms (the consumer starts in the same isolate right after the enqueue and competes with the response for the thread). It ran in the same workerd right after the ${RUNS} stream-path runs.`,
    '',
    'CPU time is the steadier figure on a shared machine: wall time stretches when other processes take the cores, CPU time much less.',
    '',
    `workerd CPU during one stream-path ingest: ${fmt(worker.cpuMs)} ms over all threads, ${fmt(worker.mainMs)} ms on its busiest thread, for ${fmt(worker.totalMs)} ms of wall time: the one thread that runs the Worker and the D1 simulator is ${pct(worker.mainMs, worker.totalMs)} busy.`,
    '',
    'Phases of the stream path (medians; bounds read on the shared machine clock from the slice row, written by the Worker: `created_at` at the claim, `updated_at` when the commit starts. workerd\'s clock advances at I/O, not during a synchronous stretch of JS; every body read is I/O here, so the bounds are close):',
    '',
    '| phase | ms | share |',
    '|---|---:|---:|',
    `| POST → claim: first body chunk read (BYOB \`readAtLeast\`, ≥ 256 KB), header line parsed, model stage checked, slice row inserted | ${fmt(worker.claimMs)} | ${pct(worker.claimMs, worker.totalMs)} |`,
    `| claim → commit: the rest of the body read in ≥ 256 KB chunks and hashed; per line split, JSON.parse, validation, diagnose, aggregate deltas, record JSON, packed into ~16 KB parts; every ~1 MB of parts one D1 batch (one batch in flight while parsing goes on); last parts flushed | ${fmt(worker.streamMs)} | ${pct(worker.streamMs, worker.totalMs)} |`,
    `| commit → \`201\` received: the commit batch (aggregates, slice status), the response | ${fmt(worker.commitMs)} | ${pct(worker.commitMs, worker.totalMs)} |`,
    '',
    'Cost of each stage (CPU and wall time per stage, measured in workerd) and a CPU profile: `npm run bench -- profile-ingest`, section "Ingest: where the time goes".',
    '',
    `Items stored as ${fmt(runs[0].chunks)} \`item_chunks\` rows (${fmt(mib(runs[0].chunkBytes), 1)} MiB of JSON for ${fmt(mib(bytes), 1)} MiB submitted); per slice ${fmt(runs[0].failures)} failures, ${fmt(runs[0].excluded)} excluded, ${fmt(runs[0].pending)} pending.`,
    '',
    '### Memory',
    '',
    `**Worker isolate, against the 128 MB limit** (per isolate: JavaScript heap and WebAssembly memory, https://developers.cloudflare.com/workers/platform/limits/#memory). Peak **live heap ${m1(live)} MiB** (${mb(live)} MB; ${m1(liveAll)} MiB with the ArrayBuffer backing stores of the same sample: ${pct(liveAll, LIMIT)} of 128 MB), the JS memory the ingest really holds at once. Without forcing GC the isolate's heap reached ${m1(hp.all.used)} MiB used (live + garbage not yet collected; ${m1(hp.all.usedPlusBacking)} MiB with backing stores in one sample, ${pct(hp.all.usedPlusBacking, LIMIT)} of 128 MB) and ${m1(hp.all.total)} MiB reserved (${pct(hp.all.total + hp.all.backing, LIMIT)} of 128 MB with backing stores): Miniflare's workerd does not enforce the 128 MB limit, so V8 sizes and collects its heap against its own, far larger default limit and lets garbage pile up; under a 128 MB limit it collects sooner. The live figure is therefore the one that decides whether the slice fits: it must stay below the limit with room for the garbage between two collections.`,
    '',
    `Live heap through the run (highest forced-GC sample in each quarter of POST → 201): ${hg.quarters.map((x, i) => `${['1st', '2nd', '3rd', '4th'][i]} ${m1(x.used)} MiB`).join(', ')}; the 4th quarter holds the slice's end, where every partly filled bucket (~${fmt(Math.min(8192, Math.ceil(bytes / 65536)))}) is sealed and written (in ~1 MB batches, as during the stream) and the commit follows. While the body streams (1st → 3rd quarter) the live heap ${grows ? '**grows with the body read so far**' : 'grows slowly'}: ~${fmt(perMiB, 2)} MiB per MiB of body${grows ? ' — something kept until the slice\'s end holds on to more than per-item state' : ' (per-item state: the duplicate-id set, the aggregate deltas, TMP.FLIP items)'}. A rough estimate for the largest body the stream path takes (STREAM_INGEST_BYTES, ${fmt(mib(Number(streamBytes)), 1)} MiB): that growth continued, plus the end's extra scaled with the bucket count, ~${m1(atStreamMax)} MiB live.`,
    '',
    `Read through Miniflare's inspector from the \`avlm-diag\` isolate alone, in two untimed stream-path runs of the same slice, each in a new workerd (an isolate that has not run an ingest yet) so the inspector stays out of the timed runs:`,
    '',
    '| heap run | samples | gap between samples (median / p95 / max) | peak used | peak total | peak backing stores | peak used + backing (one sample) | before the POST (used / total) | after the 201 (used / total) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| 1. \`Runtime.getHeapUsage\` every ${HEAP_SAMPLE_MS} ms, no forcing (${fmt(heapPlain.totalMs)} ms to the 201) | ${hp.samples} | ${fmt(hp.medianGapMs)} / ${fmt(hp.p95GapMs)} / ${fmt(hp.maxGapMs)} ms | ${m1(hp.all.used)} MiB | ${m1(hp.all.total)} MiB | ${m1(hp.all.backing)} MiB | ${m1(hp.all.usedPlusBacking)} MiB | ${m1(hp.baseline.used)} / ${m1(hp.baseline.total)} MiB | ${m1(hp.last.used)} / ${m1(hp.last.total)} MiB |`,
    `| 2. \`HeapProfiler.collectGarbage\` then \`Runtime.getHeapUsage\`, every ${HEAP_GC_MS} ms (${fmt(heapGc.totalMs)} ms to the 201; GC round trip median ${fmt(hg.gcMs)} ms) | ${hg.samples} (${hg.forced.n} after a forced GC) | ${fmt(hg.medianGapMs)} / ${fmt(hg.p95GapMs)} / ${fmt(hg.maxGapMs)} ms | **${m1(live)} MiB live** (used after a forced GC, during the ingest) | ${m1(hg.all.total)} MiB | ${m1(hg.all.backing)} MiB | ${m1(hg.all.usedPlusBacking)} MiB | ${m1(hg.baseline.used)} / ${m1(hg.baseline.total)} MiB | ${m1(hg.last.used)} / ${m1(hg.last.total)} MiB (after a forced GC: what the ingest left retained) |`,
    '',
    `What the columns are: \`usedSize\` is the JS objects on the V8 heap, live ones plus garbage not yet collected; \`totalSize\` the heap V8 has reserved for them; backing stores (\`backingStorageSize\`) are the memory of ArrayBuffers and typed arrays, outside the V8 heap but part of the isolate's memory — the body chunks (\`readAtLeast\` fills 1 MiB buffers) and the bytes handed to \`DigestStream\`, among others. Run 1 shows the heap as the ingest runs it. Run 2 forces a full GC before each reading, so its \`used\` is the **live (retained) heap**: the aggregate deltas, the duplicate-id set, the held live segments and TMP.FLIP items (kept to the slice's end), the bucket buffers of parts not yet full (up to ~16 KB × ${fmt(Math.min(8192, Math.ceil(bytes / 65536)))} buckets), the ~1 MB batch of parts for D1. workerd runs that GC as a task of the isolate, at its next task boundary, so the live figure is the heap between tasks: objects that live only inside one synchronous task (the lines of one chunk being parsed) are in run 1's used/total, not in run 2's live figure. Forcing GC changes the run it samples (and slows it), which is why the two are separate runs.`,
    '',
    `Not measured: memory workerd holds for the isolate outside V8 (the request body's socket and pipe buffers in C++, the serialised D1 calls on their way to the D1 simulator), and anything between two samples: a sample needs the isolate between tasks, so a spike inside one long synchronous stretch can be missed. The stream path awaits a body read every ≥ 256 KB and a D1 batch every ~1 MB of parts, so the isolate answered the inspector every ${fmt(hp.medianGapMs)} ms (median) and at worst after ${fmt(hp.maxGapMs)} ms in run 1. The D1 simulator (SQLite) runs in another isolate and process memory, and on Cloudflare D1 runs elsewhere: not included.`,
    '',
    `workerd process RSS during the ${RUNS} timed runs: **+${fmt(mib(rssDelta))} MiB** (peak ${fmt(mib(rssPeak))} MiB − baseline before the first run ${fmt(mib(rssBase))} MiB; the first run alone: +${fmt(mib(runs[0].rssPeak - runs[0].rssBaseline))} MiB), sampled every 100 ms from /proc/<pid>/status. It also holds Miniflare's local D1 (SQLite page cache), R2 and Queue simulators and the HTTP buffers, so it is an upper bound on everything, not the isolate's figure.`,
    '',
    '<details><summary>per run</summary>',
    '',
    '| run | path | to 201 / done, ms | claim ms | stream ms | commit + response ms | items/s | workerd CPU ms | RSS baseline MiB | RSS peak MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.sliceId} | stream | ${fmt(r.totalMs)} | ${fmt(r.claimMs)} | ${fmt(r.streamMs)} | ${fmt(r.commitMs)} | ${fmt(r.itemsPerS)} | ${fmt(r.cpuMs)} | ${fmt(mib(r.rssBaseline))} | ${fmt(mib(r.rssPeak))} |`),
    `| ${queued.sliceId} | queue (chunked; submit / consumer / tail in the phase columns) | ${fmt(queued.totalMs)} | ${fmt(queued.submitMs)} | ${fmt(queued.consumerMs)} | ${fmt(queued.tailMs)} | ${fmt(queued.itemsPerS)} | ${fmt(queued.cpuMs)} | ${fmt(mib(queued.rssBaseline))} | ${fmt(mib(queued.rssPeak))} |`,
    ...[[heapPlain, 'heap run 1'], [heapGc, 'heap run 2, forced GC']].map(([r, l]) => `| ${r.sliceId} (${l}: inspector on, not in the medians) | stream | ${fmt(r.totalMs)} | ${fmt(r.claimMs)} | ${fmt(r.streamMs)} | ${fmt(r.commitMs)} | ${fmt(r.itemsPerS)} | ${fmt(r.cpuMs)} | ${fmt(mib(r.rssBaseline))} | ${fmt(mib(r.rssPeak))} |`),
    ...raws.map((r, i) => `| raw SQLite ${i + 1} | — | ${fmt(r.totalMs)} | — | — | — | ${fmt(N / (r.totalMs / 1000))} | ${fmt(r.cpuMs)} (node) | — | — |`),
    '',
    '</details>',
  ].join('\n');
  return { markdown: md, data: { N, bytes, runs, queued, raws, worker, raw, ratio, cpuRatio, rssDelta, heapPlain, heapGc } };
}
