// Shared harness: the real Worker (functions/index.ts) bundled by esbuild and run in-process
// by Miniflare (workerd) with local D1, R2 and the ingest Queue (producer + consumer), the
// D1 migrations applied, and an ADMIN_TOKEN binding. Also: the workerd process's RSS.
import { build } from 'esbuild';
import { Miniflare, Log, LogLevel, convertV4MiniflareOptions } from 'miniflare';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// BENCH_SRC: benchmark another checkout of the sources (e.g. a clean `git worktree`); default: this repo.
export const ROOT = process.env.BENCH_SRC ? resolve(process.env.BENCH_SRC) : resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ADMIN_TOKEN = 'bench-admin-token';

/** Reads the bits of wrangler.toml the harness mirrors (no TOML parser in the deps). */
function wranglerToml() {
  const t = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const str = (k) => new RegExp(`^${k}\\s*=\\s*"([^"]*)"`, 'm').exec(t)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(t)?.[1].match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1)) ?? [];
  const consumer = /\[\[queues\.consumers\]\]([\s\S]*?)(?:\n\[|$)/.exec(t)?.[1] ?? '';
  // The notification queue's consumer block (SPEC §13).
  const notify = /\[\[queues\.consumers\]\]\s*\nqueue\s*=\s*"(avlm-diag-notify)"([\s\S]*?)(?:\n\[|$)/.exec(t);
  const partition = /\[\[queues\.consumers\]\]\s*\nqueue\s*=\s*"(avlm-diag-partition)"([\s\S]*?)(?:\n\[|$)/.exec(t);
  const num = (src, k) => Number(new RegExp(`^${k}\\s*=\\s*(\\d+)`, 'm').exec(src)?.[1]);
  return {
    compatibilityDate: str('compatibility_date'),
    compatibilityFlags: flags,
    asyncIngestBytes: str('ASYNC_INGEST_BYTES') ?? '4000000',
    streamIngestBytes: str('STREAM_INGEST_BYTES') ?? '64000000',
    maxSliceBytes: str('MAX_SLICE_BYTES') ?? '500000000',
    queue: /^queue\s*=\s*"([^"]+)"/m.exec(consumer)?.[1] ?? 'avlm-diag-ingest',
    dlq: /^dead_letter_queue\s*=\s*"([^"]+)"/m.exec(consumer)?.[1],
    maxBatchSize: num(consumer, 'max_batch_size') || 1,
    maxRetries: num(consumer, 'max_retries') || 5,
    notifyQueue: notify?.[1] ?? 'avlm-diag-notify',
    notifyBatchSize: num(notify?.[2] ?? '', 'max_batch_size') || 10,
    notifyMaxRetries: num(notify?.[2] ?? '', 'max_retries') || 100,
    partitionQueue: partition?.[1] ?? 'avlm-diag-partition',
    partitionBatchSize: num(partition?.[2] ?? '', 'max_batch_size') || 100,
    partitionBatchTimeout: num(partition?.[2] ?? '', 'max_batch_timeout') || 2,
    partitionMaxRetries: num(partition?.[2] ?? '', 'max_retries') || 10,
  };
}

// TEMPORARY, bench-only, applied to the bundle (never to functions/): R2 multipart parts must
// all have the same size but the last (https://developers.cloudflare.com/r2/objects/multipart-objects),
// and submitAsync cuts a part whenever ≥ 8 MiB has accumulated, so an async slice of three parts
// or more (> ~16 MiB) fails at completeMultipartUpload (10048 → 500). This rewrites flushPart to cut
// exact PART_SIZE parts. It only applies while the buggy text is still in submit.ts: once
// the fix lands there, the pattern no longer matches and the real code runs unchanged.
const BUGGY_FLUSH = /const flushPart = async \(\) => \{\n\s*if \(bufBytes === 0\) return;\n\s*const part = new Uint8Array\(bufBytes\);\n\s*let o = 0;\n\s*for \(const c of buf\) \{ part\.set\(c, o\); o \+= c\.byteLength; \}\n\s*buf = \[\];\n\s*bufBytes = 0;\n/;
const FIXED_FLUSH = `const flushPart = async (limit = Infinity) => {
    if (bufBytes === 0) return;
    const all = new Uint8Array(bufBytes);
    let o = 0;
    for (const c of buf) { all.set(c, o); o += c.byteLength; }
    const size = Math.min(bufBytes, limit);
    const part = size === bufBytes ? all : all.slice(0, size);
    buf = size === bufBytes ? [] : [all.slice(size)];
    bufBytes -= size;
`;
export const bundlePatches = [];
const r2PartsPatch = {
  name: 'bench-r2-equal-parts',
  setup(b) {
    b.onLoad({ filter: /functions[\\/]ingest[\\/]submit\.ts$/ }, (args) => {
      let src = readFileSync(args.path, 'utf8');
      if (BUGGY_FLUSH.test(src) && src.includes('if (bufBytes >= PART_SIZE) await flushPart();')) {
        src = src.replace(BUGGY_FLUSH, FIXED_FLUSH).replace('if (bufBytes >= PART_SIZE) await flushPart();', 'while (bufBytes >= PART_SIZE) await flushPart(PART_SIZE);');
        if (!bundlePatches.includes('r2-equal-parts')) bundlePatches.push('r2-equal-parts');
      }
      return { contents: src, loader: 'ts' };
    });
  },
};

/** Bundles functions/index.ts like wrangler would (ESM, workerd conditions). */
export async function bundleWorker(outDir, entrySource) {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'worker.js');
  await build({
    plugins: process.env.BENCH_NO_PATCH ? [] : [r2PartsPatch],
    ...(entrySource
      ? { stdin: { contents: entrySource, resolveDir: ROOT, sourcefile: 'bench-entry.ts', loader: 'ts' } }
      : { entryPoints: [join(ROOT, 'functions/index.ts')] }),
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'], outfile, logLevel: 'error', sourcemap: false,
  });
  return outfile;
}

/** Children of this process named `workerd` (via /proc). */
export function workerdPids() {
  const out = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith('workerd')) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

/** CPU ms (user+sys) per thread of `pid`: Map(tid → {comm, ms}). */
export function threadCpu(pid) {
  const out = new Map();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        out.set(t, { comm, ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 }); // USER_HZ = 100
      } catch { /* thread gone */ }
    }
  } catch { /* process gone */ }
  return out;
}

/** CPU used between two threadCpu() snapshots: {total, main (busiest thread)}. */
export function cpuDelta(a, b) {
  const per = [...b].map(([t, v]) => ({ t, comm: v.comm, ms: v.ms - (a.get(t)?.ms ?? 0) })).sort((x, y) => y.ms - x.ms);
  return { total: per.reduce((s, x) => s + x.ms, 0), main: per[0]?.ms ?? 0, threads: per };
}

/** Samples the RSS of `pid` every `ms` ms; stop() → {baseline, peak, samples}. */
export function sampleRss(pid, ms = 100) {
  const baseline = rssBytes(pid);
  let peak = baseline;
  let samples = 1;
  const t = setInterval(() => { const v = rssBytes(pid); samples++; if (v > peak) peak = v; }, ms);
  return { stop() { clearInterval(t); const v = rssBytes(pid); if (v > peak) peak = v; return { baseline, peak, samples }; } };
}

/**
 * Starts the Worker. Returns {mf, url, db, pid, api(method, path, {body, headers, token}),
 * restart(opts), dispose()}. opts: vars (extra string bindings), maxBatchTimeout (s),
 * inspectorPort, entrySource (TS source of another entry module, resolved from the repo root,
 * instead of functions/index.ts), script (an already built bundle). restart(opts) starts a new
 * workerd on the same stored data.
 */
export async function startWorker(opts = {}) {
  const cfg = wranglerToml();
  const work = mkdtempSync(join(tmpdir(), 'avlm-bench-'));
  // opts.stateDir: the stored data live there and outlive the run; an existing one is reused as
  // it is (no migrations), so a slow fill is paid once while iterating on the code.
  const reuse = !!opts.stateDir && existsSync(join(opts.stateDir, 'filled'));
  const persist = opts.stateDir ?? join(work, 'state');
  const migrations = readdirSync(join(ROOT, 'db/migrations')).filter((f) => f.endsWith('.sql')).sort();
  const h = { work, persist, cfg, migrations };
  let generation = 0;

  async function launch(o) {
    const script = o.script ?? await bundleWorker(join(work, `dist${generation++}`), o.entrySource);
    const mf = new Miniflare(convertV4MiniflareOptions({
      resourcePersistencePath: persist,
      log: new Log(process.env.MFLOG ? LogLevel.INFO : LogLevel.WARN),
      cf: false, // offline: no fetch of the Request.cf object
      inspectorPort: o.inspectorPort,
      workers: [{
        name: 'avlm-diag',
        modules: true, scriptPath: script, modulesRoot: dirname(script),
        compatibilityDate: cfg.compatibilityDate, compatibilityFlags: cfg.compatibilityFlags,
        bindings: {
          ADMIN_TOKEN, ASYNC_INGEST_BYTES: cfg.asyncIngestBytes, STREAM_INGEST_BYTES: cfg.streamIngestBytes, MAX_SLICE_BYTES: cfg.maxSliceBytes,
          // No GPU backend in the bench: a closed port, so a stray probe job fails fast and never
          // reaches a backend someone else runs on :8000. (Bench items carry no features, so
          // the ingest queues no probe jobs.)
          INFERENCE_URL: 'http://127.0.0.1:9', INFERENCE_TIMEOUT_MS: '1000',
          // As wrangler.toml: a committed slice's copy into its item partition waits 5 s.
          PARTITION_SYNC_DELAY_SECONDS: '5',
          ...(o.vars ?? {}),
        },
        ...(o.directSocket ? { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] } : {}),
        d1Databases: { DB: 'avlm-diag' },
        r2Buckets: { SLICES: 'avlm-diag-slices' },
        // The item partitions (wrangler.toml): slices are synced into them through the queue.
        durableObjects: { ITEM_PARTITIONS: { className: 'ItemPartition', useSQLite: true } },
        queueProducers: { INGEST_QUEUE: { queueName: cfg.queue }, NOTIFY_QUEUE: { queueName: cfg.notifyQueue }, PARTITION_QUEUE: { queueName: cfg.partitionQueue } },
        queueConsumers: {
          [cfg.queue]: { maxBatchSize: cfg.maxBatchSize, maxBatchTimeout: o.maxBatchTimeout ?? 0.05, maxRetries: cfg.maxRetries, ...(cfg.dlq ? { deadLetterQueue: cfg.dlq } : {}) },
          [cfg.notifyQueue]: { maxBatchSize: cfg.notifyBatchSize, maxBatchTimeout: o.maxBatchTimeout ?? 0.05, maxRetries: cfg.notifyMaxRetries },
          // Partition syncs batch as deployed (max_batch_timeout of wrangler.toml): the batching is what keeps a burst of deliveries cheap.
          [cfg.partitionQueue]: { maxBatchSize: cfg.partitionBatchSize, maxBatchTimeout: cfg.partitionBatchTimeout, maxRetries: cfg.partitionMaxRetries },
        },
      }],
    }));
    const url = await mf.ready;
    // directSocket: the Worker's own socket, without Miniflare's dev entry worker in front.
    const directUrl = o.directSocket ? await mf.unsafeGetDirectURL('avlm-diag') : undefined;
    Object.assign(h, { mf, url, directUrl, script, db: await mf.getD1Database('DB') });
    const pids = workerdPids().filter((p) => p !== h.pid);
    h.pid = pids[0];
  }

  h.api = async (method, path, { body, headers = {}, token = ADMIN_TOKEN } = {}) => {
    const res = await fetch(new URL(path, h.url), { method, body, headers: { authorization: `Bearer ${token}`, ...headers } });
    const text = await res.text();
    let json; try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, json };
  };
  h.restart = async (o = {}) => { await h.mf.dispose(); await launch({ ...opts, entrySource: undefined, script: undefined, ...o }); };
  h.dispose = async () => {
    try { await h.mf?.dispose(); } catch { /* already disposed (a failed restart) */ } finally { rmSync(work, { recursive: true, force: true }); }
  };

  try { await launch(opts); } catch (e) { rmSync(work, { recursive: true, force: true }); throw e; }
  if (reuse) { h.reused = true; h.markFilled = () => {}; return h; }
  for (const f of migrations) {
    const stmts = readFileSync(join(ROOT, 'db/migrations', f), 'utf8').split('--> statement-breakpoint').map((s) => s.trim()).filter(Boolean);
    await h.db.batch(stmts.map((s) => h.db.prepare(s)));
  }
  h.markFilled = () => { if (opts.stateDir) writeFileSync(join(opts.stateDir, 'filled'), new Date().toISOString()); };
  h.reused = false;
  return h;
}

/** The D1 database's SQLite file under the persistence dir (for read-only baselines on a copy). */
export function d1SqliteFile(persist) {
  const stack = [persist];
  while (stack.length) {
    const d = stack.pop();
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith('.sqlite') && p.includes('D1')) return p;
    }
  }
  return null;
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
export const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]; };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
export const mib = (b) => b / (1024 * 1024);
