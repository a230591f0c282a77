// Benchmark of the local inference server (real HTTP, separate processes) against raw
// InferenceSession.run on the same model in this process, and the gain of dynamic batching,
// for two models with the same interface:
//
//   tiny     the committed reference model (6 KB; a 64-row run costs ~0.05 ms): the server's
//            cost is all HTTP, so this shows the per-request overhead, honestly;
//   compute  the compute-bound variant (model/trunk.ts: same scores, per modality L dense ReLU
//            layers of width H), generated here into .bench/model_repository: a run costs what
//            a real model's does, one row is a memory-bound GEMV and a batch a GEMM.
//
//   node --experimental-strip-types gpu-backend/bench.ts [--models tiny,compute] [--seconds 0.6]
//        [--rounds 3] [--hidden 1024] [--layers 4] [--threads 1] [--json out.json] [--md out.md] [--write]
//        [--providers tensorrt,cuda]
//
// --providers: one full run per listed provider, the raw session and the servers pinned to it
// (INFERENCE_PROVIDERS=<it>; no fallback: a provider that does not load is reported as such
// and skipped), so "server ÷ raw" compares the server with session.run on the same provider.
// Without it: INFERENCE_PROVIDERS (default tensorrt,cuda,cpu) with fallback, for both.
//
// Modes: raw session.run in this process (same providers and session options as the server,
// --threads intra-op threads for both); the server (gpu-backend/server/main.ts, a child
// process) with dynamic batching on and off. Client: a minimal keep-alive HTTP/1.1 load
// generator, OIP with the binary tensor data extension both ways (bodies encoded once, as a
// client would; every cell first checks the server's scores against session.run's); one extra
// cell per model sends OIP JSON instead. For 1/8/64 rows
// per request × concurrency 1/16, the modes run interleaved in --rounds slices of --seconds
// (after a short warm-up), so a noisy neighbour hurts them alike. Prints Markdown; --write
// replaces the `<!-- gpu:start -->…<!-- gpu:end -->` section of BENCHMARKS.md (only that
// section: re-read right before writing), --md writes the same Markdown to a file.
// Bounded: 2 models × 6 cells × 3 modes × rounds × (seconds + warm-up) + start-ups ≈ 100 s.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { generate, staleFiles } from './model/generate.ts';
import { modelPath } from './model/repository.ts';
import { DIMS, INPUT_NAMES, mulberry32 } from './model/spec.ts';
import { BENCH_TRUNK, trunkParameterCount, type TrunkSpec } from './model/trunk.ts';
import { loadSession, parseProviders } from './server/session.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
/** Measured seconds per slice; each (mode, batch, concurrency) cell gets ROUNDS slices. */
const SECONDS = Number(opt('seconds', '0.6'));
const ROUNDS = Number(opt('rounds', '3'));
const WARMUP_MS = 150;
const BATCH_SIZES = [1, 8, 64];
const CONCURRENCY = [1, 16];
/** Rounds of the 64-row cells: their slices hold the fewest runs (~30 of ~20 ms for the compute model), and they carry the ratio target. */
const ROUNDS_64 = Number(opt('rounds64', String(Math.max(ROUNDS, 5))));
const QUEUE_DELAY_MS = 2;
const MAX_BATCH = 256;
const MODELS = opt('models', 'tiny,compute').split(',').map((s) => s.trim()).filter(Boolean);
const TRUNK: TrunkSpec = { hidden: Number(opt('hidden', String(BENCH_TRUNK.hidden))), layers: Number(opt('layers', String(BENCH_TRUNK.layers))) };
/** onnxruntime intra-op threads, for the raw session and the servers alike. */
const THREADS = Number(opt('threads', '1'));
/** Execution providers, for the raw session and the servers alike (the server's default list). */
const PROVIDERS = parseProviders(process.env.INFERENCE_PROVIDERS);
/** --providers a,b: one run per provider, pinned (see the header); else one run on PROVIDERS. */
const PINNED = args.includes('--providers') ? parseProviders(opt('providers', '')) : undefined;
/** server vs session.run scores: FP16 engines (TensorRT) round at ~1e-3, FP32 agrees to 1e-5. */
const scoreTolerance = (provider: string) => (provider === 'tensorrt' ? 1e-2 : 1e-5);

/** A pinned provider that did not load here (reported, not benchmarked). */
class ProviderUnavailable extends Error {}
const BENCH_REPOSITORY = join(ROOT, '.bench', 'model_repository');
const WIDTHS: Record<(typeof INPUT_NAMES)[number], number> = { audio: DIMS.audio, visual: DIMS.visual, text: DIMS.text, modality_mask: 3, policy_context: 1 };
const MODES = ['raw session.run', 'server, batching on', 'server, batching off'] as const;
type Mode = (typeof MODES)[number];

/** A deterministic batch: flat row-major inputs (features in [-1, 1], all modalities present). */
function batchOf(rows: number, seed: number): Record<string, Float32Array> {
  const rand = mulberry32(seed);
  const out: Record<string, Float32Array> = {};
  for (const name of INPUT_NAMES) {
    const w = WIDTHS[name];
    out[name] = Float32Array.from({ length: rows * w }, () => (name === 'modality_mask' ? 1 : name === 'policy_context' ? 0 : rand() * 2 - 1));
  }
  return out;
}

function feedsOf(batch: Record<string, Float32Array>, rows: number): Record<string, ort.Tensor> {
  return Object.fromEntries(INPUT_NAMES.map((name) => [name, new ort.Tensor('float32', batch[name], [rows, WIDTHS[name]])]));
}

function checkScores(got: Float32Array, expected: Float32Array, model: string, tolerance = 1e-5): void {
  let max = got.length === expected.length ? 0 : Infinity;
  for (let i = 0; i < got.length && max < Infinity; i++) max = Math.max(max, Math.abs(got[i] - expected[i]));
  if (!(max < tolerance)) throw new Error(`${model}: the server's scores differ from session.run's (max |Δ| ${max})`);
}

interface Body { body: Buffer; headers: Record<string, string> }

/** OIP request with the binary tensor data extension both ways (Triton's binary format). */
function binaryBody(batch: Record<string, Float32Array>, rows: number): Body {
  const blobs = INPUT_NAMES.map((n) => Buffer.from(batch[n].buffer, batch[n].byteOffset, batch[n].byteLength));
  const head = Buffer.from(JSON.stringify({
    inputs: INPUT_NAMES.map((n, i) => ({ name: n, datatype: 'FP32', shape: [rows, WIDTHS[n]], parameters: { binary_data_size: blobs[i].length } })),
    outputs: [{ name: 'scores', parameters: { binary_data: true } }],
  }));
  const body = Buffer.concat([head, ...blobs]);
  return { body, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length), 'content-length': String(body.length) } };
}

/** Plain OIP JSON request (flat data), what the Worker's client sends. */
function jsonBody(batch: Record<string, Float32Array>, rows: number): Body {
  const body = Buffer.from(JSON.stringify({
    inputs: INPUT_NAMES.map((n) => ({ name: n, datatype: 'FP32', shape: [rows, WIDTHS[n]], data: Array.from(batch[n]) })),
    outputs: [{ name: 'scores' }],
  }));
  return { body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } };
}

/**
 * The load generator: a minimal HTTP/1.1 keep-alive client on raw sockets (like wrk), one
 * connection per concurrent caller, sending pre-encoded requests. It shares the 2 CPUs with
 * the server, so it must cost little: node:http's client costs ~2× more CPU per request and
 * fetch ~3×, which on this machine would measure the client more than the server. Checks
 * every status line and Content-Length; `post` resolves with the response body.
 */
function client(url: string, concurrency: number, b: Body) {
  const u = new URL(`${url}/v2/models/avlm/infer`);
  const head = `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n${Object.entries(b.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const request = Buffer.concat([Buffer.from(head, 'latin1'), b.body]);
  const HEADER_END = Buffer.from('\r\n\r\n');
  const conns = Array.from({ length: concurrency }, () => {
    const sock = net.connect(Number(u.port), u.hostname);
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let need = -1; // bytes of the whole response, once its header is parsed
    let bodyStart = 0;
    let jsonLength: number | undefined; // Inference-Header-Content-Length of the response
    let waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
    const fail = (e: Error) => { const w = waiting; waiting = undefined; w?.reject(e); };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed')));
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (need < 0) {
        const i = buf.indexOf(HEADER_END);
        if (i < 0) return;
        const header = buf.subarray(0, i).toString('latin1');
        const len = /\r\ncontent-length: *(\d+)/i.exec(header);
        if (!header.startsWith('HTTP/1.1 200 ') || !len) {
          fail(new Error(`infer answered ${header.split('\r\n')[0]}`));
          sock.destroy();
          return;
        }
        bodyStart = i + 4;
        need = bodyStart + Number(len[1]);
        const j = /\r\ninference-header-content-length: *(\d+)/i.exec(header);
        jsonLength = j ? Number(j[1]) : undefined;
      }
      if (buf.length < need) return;
      const body = buf.subarray(bodyStart, need);
      buf = buf.subarray(need);
      need = -1;
      const w = waiting;
      waiting = undefined;
      w?.resolve({ body, jsonLength });
    });
    return {
      post: () => new Promise<Reply>((resolve, reject) => {
        waiting = { resolve, reject };
        sock.write(request);
      }),
      close: () => sock.destroy(),
    };
  });
  let next = 0;
  return {
    /** One connection per caller: `post(k)` for caller k (0 … concurrency − 1). */
    post: (k: number) => conns[k].post(),
    /** Round-robin, for one-off calls. */
    once: () => conns[next++ % conns.length].post(),
    close: () => { for (const c of conns) c.close(); },
  };
}

interface Reply { body: Buffer; jsonLength?: number }

/** The scores of an infer response: JSON, or the binary tensor extension (JSON header, then little-endian FP32). */
function scoresOf({ body, jsonLength }: Reply): Float32Array {
  const head = JSON.parse(body.subarray(0, jsonLength ?? body.length).toString('utf8'));
  const out = head.outputs[0];
  if (jsonLength === undefined) return Float32Array.from(out.data);
  const bytes = body.subarray(jsonLength, jsonLength + out.parameters.binary_data_size);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Runs `call` from `concurrency` loops for SECONDS (after a short warm-up); latency per call. */
async function load(concurrency: number, rowsPerCall: number, call: (caller: number) => Promise<unknown>) {
  const warmEnd = performance.now() + WARMUP_MS;
  let warmCalls = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, k) => { while (performance.now() < warmEnd) { await call(k); warmCalls++; } }));
  const lat: number[] = [];
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, k) => {
    while (performance.now() < end) {
      const s = performance.now();
      await call(k);
      lat.push(performance.now() - s);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { itemsPerSec: (lat.length * rowsPerCall) / elapsed, lat, warmCalls };
}

/** Server processes still running: stopped when this process exits, however it exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGTERM'); });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));

async function startChild(env: Record<string, string>): Promise<{ url: string; provider: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', fileURLToPath(new URL('./server/main.ts', import.meta.url))], {
    env: { ...process.env, INFERENCE_PORT: '0', INFERENCE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready on (\S+) \(provider: (\w+)/.exec(out);
      if (m) resolve({ url: m[1], provider: m[2], child });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error('server did not start in 60 s')), 60_000).unref();
  });
}

async function executions(url: string): Promise<number> {
  const s = await (await fetch(`${url}/v2/models/avlm/stats`)).json();
  return s.model_stats[0].execution_count;
}

interface Cell {
  model: string; mode: string; batch: number; concurrency: number;
  /** Median over the rounds. */
  itemsPerSec: number;
  /** Median over the rounds of this mode's items/s ÷ raw session.run's in the same round (slices run back to back). */
  ratioToRaw?: number;
  p50: number; p99: number;
  /** Measured requests (warm-up excluded). */
  requests: number;
  /** Server executions (session.run) and requests merged per execution (warm-ups included in both). */
  runs?: number; requestsPerRun?: number;
}

interface ModelRun { key: string; label: string; path: string; bytes: number; provider: string; cells: Cell[]; json: Cell[]; rawDefaultThreads?: number }

async function benchModel(key: string, path: string, label: string, log: (s: string) => void, providers: string[] = PROVIDERS, pinned = false): Promise<ModelRun> {
  // Pinned: the raw session loads first, so an unavailable provider costs no server start.
  const raw = await loadSession(path, providers, THREADS);
  if (pinned && raw.provider !== providers[0]) {
    await raw.session.release();
    throw new ProviderUnavailable(`${providers[0]} did not load (${raw.skipped[0]?.reason ?? 'unknown reason'})`);
  }
  const session = raw.session;
  const env = { INFERENCE_MODEL_PATH: path, INFERENCE_THREADS: String(THREADS), INFERENCE_PROVIDERS: providers.join(',') };
  const servers: Record<Exclude<Mode, 'raw session.run'>, { url: string; provider: string; child: ChildProcess }> = {
    'server, batching on': await startChild({ ...env, INFERENCE_QUEUE_DELAY_MS: String(QUEUE_DELAY_MS), INFERENCE_MAX_BATCH: String(MAX_BATCH) }),
    'server, batching off': await startChild({ ...env, INFERENCE_QUEUE_DELAY_MS: '0' }),
  };
  const provider = servers['server, batching on'].provider;
  for (const s of Object.values(servers)) {
    if (s.provider !== raw.provider) throw new Error(`${key}: the server runs on ${s.provider}, session.run on ${raw.provider}: not comparable`);
  }
  const cells: Cell[] = [];
  const json: Cell[] = [];
  let rawDefaultThreads: number | undefined;
  try {
    for (const b of BATCH_SIZES) {
      const batch = batchOf(b, b);
      const feeds = feedsOf(batch, b);
      const body = binaryBody(batch, b);
      const expected = (await session.run(feeds)).scores.data as Float32Array;
      for (const c of CONCURRENCY) {
        log(`[gpu] ${key}: ${b} rows/request, concurrency ${c}`);
        const clients = Object.fromEntries(Object.entries(servers).map(([m, s]) => [m, client(s.url, c, body)]));
        // The servers answer what the model computes (checked once per cell, outside the timing).
        for (const cl of Object.values(clients)) checkScores(scoresOf(await cl.once()), expected, key, scoreTolerance(provider));
        // Interleave the modes in ROUNDS short slices, so that a noisy neighbour on the
        // machine hurts all of them alike; report the median slice and pooled latencies.
        const acc = Object.fromEntries(MODES.map((m) => [m, { rates: [] as number[], lat: [] as number[], requests: 0, runs: 0, served: 0 }]));
        const rounds = b === 64 ? ROUNDS_64 : ROUNDS;
        for (let round = 0; round < rounds; round++) {
          for (const mode of MODES) {
            const a = acc[mode];
            if (mode === 'raw session.run') {
              const r = await load(c, b, () => session.run(feeds));
              a.rates.push(r.itemsPerSec); a.lat.push(...r.lat); a.requests += r.lat.length;
            } else {
              const srv = servers[mode];
              const before = await executions(srv.url);
              const r = await load(c, b, (k) => clients[mode].post(k));
              a.runs += (await executions(srv.url)) - before; // executions for the slice and its warm-up…
              a.served += r.lat.length + r.warmCalls; // …and the requests they served
              a.rates.push(r.itemsPerSec); a.lat.push(...r.lat); a.requests += r.lat.length;
            }
          }
        }
        for (const c2 of Object.values(clients)) c2.close();
        const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
        const raw = acc['raw session.run'].rates;
        for (const mode of MODES) {
          const a = acc[mode];
          a.lat.sort((x, y) => x - y);
          cells.push({
            model: key, mode, batch: b, concurrency: c,
            itemsPerSec: median(a.rates),
            ...(mode === 'raw session.run' ? {} : { ratioToRaw: median(a.rates.map((r, i) => r / raw[i])) }),
            p50: pct(a.lat, 0.5), p99: pct(a.lat, 0.99), requests: a.requests,
            ...(mode === 'raw session.run' ? {} : { runs: a.runs, requestsPerRun: a.served / Math.max(1, a.runs) }),
          });
        }
      }
    }
    // The same 64-row requests as OIP JSON (what the Worker's client sends), batching on, concurrency 16.
    log(`[gpu] ${key}: JSON body, 64 rows/request, concurrency 16`);
    const srv = servers['server, batching on'];
    const cl = client(srv.url, 16, jsonBody(batchOf(64, 64), 64));
    const feeds64 = feedsOf(batchOf(64, 64), 64);
    checkScores(scoresOf(await cl.once()), (await session.run(feeds64)).scores.data as Float32Array, key, scoreTolerance(provider));
    const rates: number[] = [];
    const ratios: number[] = [];
    const lat: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const raw = await load(16, 64, () => session.run(feeds64));
      const r = await load(16, 64, (k) => cl.post(k));
      rates.push(r.itemsPerSec); ratios.push(r.itemsPerSec / raw.itemsPerSec); lat.push(...r.lat);
    }
    cl.close();
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    lat.sort((x, y) => x - y);
    json.push({ model: key, mode: 'server, batching on, JSON body', batch: 64, concurrency: 16, itemsPerSec: median(rates), ratioToRaw: median(ratios), p50: pct(lat, 0.5), p99: pct(lat, 0.99), requests: lat.length });
  } finally {
    await session.release();
    for (const s of Object.values(servers)) await new Promise((r) => { s.child.once('exit', r); s.child.kill('SIGTERM'); });
  }
  // For context: raw session.run with onnxruntime's default intra-op threads (no server shares the CPU then).
  if (THREADS) {
    const { session: s2 } = await loadSession(path, providers);
    const feeds = feedsOf(batchOf(64, 64), 64);
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) rates.push((await load(1, 64, () => s2.run(feeds))).itemsPerSec);
    rates.sort((x, y) => x - y);
    rawDefaultThreads = rates[Math.floor(rates.length / 2)];
    await s2.release();
  }
  return { key, label, path, bytes: readFileSync(path).length, provider, cells, json, rawDefaultThreads };
}

export interface GpuBenchResult {
  markdown: string;
  data: unknown;
  targets: { model: string; provider: string; ratioOn: number; ratioOff: number; gain: number }[];
}

export async function runBench(log: (s: string) => void = (s) => console.error(s)): Promise<GpuBenchResult> {
  const started = performance.now();
  const loadBefore = loadavg()[0];
  const runs: ModelRun[] = [];
  const unavailable: string[] = [];
  for (const providers of PINNED ? PINNED.map((p) => [p]) : [PROVIDERS]) {
    try {
      for (const key of MODELS) {
        if (key === 'tiny') {
          runs.push(await benchModel('tiny', modelPath(), 'committed reference model (`gpu-backend/model_repository/avlm/1/model.onnx`)', log, providers, !!PINNED));
        } else if (key === 'compute') {
          const t0 = performance.now();
          // Deterministic: regenerated only when the bytes would differ (or the file is missing).
          if (staleFiles(BENCH_REPOSITORY, undefined, TRUNK).length) generate(BENCH_REPOSITORY, undefined, TRUNK);
          log(`[gpu] compute-bound variant ${TRUNK.layers} × ${TRUNK.hidden} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          const path = modelPath(BENCH_REPOSITORY);
          runs.push(await benchModel('compute', path, `compute-bound variant, ${TRUNK.layers} dense ReLU layers of width ${TRUNK.hidden} per modality (\`${relative(ROOT, path)}\`)`, log, providers, !!PINNED));
        } else {
          throw new Error(`unknown model '${key}' (tiny, compute)`);
        }
      }
    } catch (err) {
      if (!(err instanceof ProviderUnavailable)) throw err;
      log(`[gpu] ${err.message}: skipped`);
      unavailable.push(err.message);
    }
  }
  const loadAfter = loadavg()[0];
  const seconds = (performance.now() - started) / 1000;

  const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
  const f2 = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const mb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} KB`);
  const targets: GpuBenchResult['targets'] = [];
  const lines: string[] = [];
  for (const u of unavailable) lines.push(`**Not run**: ${u}.`, '');
  lines.push(`onnxruntime-node ${ort.env.versions.node}, provider ${[...new Set(runs.map((r) => r.provider))].join(', ') || '?'}, intra-op threads ${THREADS || 'default'} (raw session and servers alike); ` +
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; ${seconds.toFixed(0)} s in all. ` +
    `Each cell: ${ROUNDS} rounds (64 rows/request: ${ROUNDS_64}) of one ${SECONDS} s slice per mode, back to back; median items/s over the rounds, pooled latencies (ms); server ÷ raw = median over the rounds of the ratio of the slices. Server: gpu-backend/server/main.ts in a child process (session.run on its own thread), ` +
    `client: a minimal keep-alive HTTP/1.1 load generator (one connection per caller) in the bench process, OIP with the binary tensor data extension both ways; client and server share the machine. ` +
    `Batching on = \`INFERENCE_QUEUE_DELAY_MS=${QUEUE_DELAY_MS} INFERENCE_MAX_BATCH=${MAX_BATCH}\`; off = \`INFERENCE_QUEUE_DELAY_MS=0\`.`);
  for (const r of runs) {
    const find = (mode: string, b: number, c: number) => r.cells.find((x) => x.mode === mode && x.batch === b && x.concurrency === c)!;
    const ratioOn = find('server, batching on', 64, 16).ratioToRaw!;
    const ratioOff = find('server, batching off', 64, 16).ratioToRaw!;
    const gain = find('server, batching on', 1, 16).itemsPerSec / find('server, batching off', 1, 16).itemsPerSec;
    targets.push({ model: r.key, provider: r.provider, ratioOn, ratioOff, gain });
    const ok = (x: boolean) => (x ? '✓' : '✗');
    lines.push('');
    lines.push(`### ${r.key === 'tiny' ? 'Tiny model' : 'Compute-bound model'}${PINNED ? ` on ${r.provider}` : ''}: ${r.label}, ${mb(r.bytes)}`);
    lines.push('');
    if (r.key === 'compute') {
      const params = trunkParameterCount(TRUNK);
      lines.push(`${(params / 1e6).toFixed(1)} M weights (≈ ${(2 * params / 1e6).toFixed(1)} MFLOP per row); same interface and scores as the tiny model (model/trunk.ts).`);
      lines.push('');
    }
    lines.push(`**Targets** — server ÷ raw \`session.run\` at 64 rows/request, concurrency 16 (median over ${ROUNDS_64} rounds of the ratio of back-to-back slices): ` +
      `batching on **${ratioOn.toFixed(2)}×** ${ok(ratioOn >= 0.9)}, batching off **${ratioOff.toFixed(2)}×** ${ok(ratioOff >= 0.9)} (target ≥ 0.9×); ` +
      `dynamic batching gain at concurrency 16, 1-row requests: **${gain.toFixed(2)}×** ${ok(gain >= 3)} (target ≥ 3×).`);
    if (r.rawDefaultThreads !== undefined) {
      lines.push('');
      lines.push(`For context, raw \`session.run\` of 64 rows with onnxruntime's default intra-op threads (all cores, no server sharing them): ${f0(r.rawDefaultThreads)} items/s.`);
    }
    lines.push('');
    lines.push('| mode | rows/request | concurrency | items/s | p50 ms | p99 ms | requests | requests per session run | server ÷ raw |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of r.cells) {
      const ratio = c.ratioToRaw === undefined ? '—' : c.ratioToRaw.toFixed(2);
      lines.push(`| ${c.mode} | ${c.batch} | ${c.concurrency} | ${f0(c.itemsPerSec)} | ${f2(c.p50)} | ${f2(c.p99)} | ${f0(c.requests)} | ${c.requestsPerRun === undefined ? '—' : c.requestsPerRun.toFixed(1)} | ${ratio} |`);
    }
    for (const c of r.json) {
      lines.push(`| ${c.mode} | ${c.batch} | ${c.concurrency} | ${f0(c.itemsPerSec)} | ${f2(c.p50)} | ${f2(c.p99)} | ${f0(c.requests)} | — | ${c.ratioToRaw!.toFixed(2)} |`);
    }
    lines.push('');
    lines.push('Dynamic batching gain at concurrency 16 (server items/s with batching on ÷ off):');
    lines.push('');
    lines.push('| rows/request | on items/s | off items/s | gain | p50 on / off ms | p99 on / off ms | requests per run (on) |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|');
    for (const b of BATCH_SIZES) {
      const on = find('server, batching on', b, 16);
      const off = find('server, batching off', b, 16);
      lines.push(`| ${b} | ${f0(on.itemsPerSec)} | ${f0(off.itemsPerSec)} | ${(on.itemsPerSec / off.itemsPerSec).toFixed(2)}× | ${f2(on.p50)} / ${f2(off.p50)} | ${f2(on.p99)} / ${f2(off.p99)} | ${(on.requestsPerRun ?? 0).toFixed(1)} |`);
    }
  }
  if (loadBefore > cpus().length * 0.5 || loadAfter > cpus().length) {
    lines.push('');
    lines.push(`> The machine was shared (load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cpus().length} CPUs): absolute numbers are noisy; the modes of a cell ran interleaved, so compare within a cell.`);
  }
  const markdown = `## GPU backend: inference server\n\n\`node --experimental-strip-types gpu-backend/bench.ts\` (or \`npm run bench -- gpu\`)\n\n${lines.join('\n')}\n`;
  const data = { provider: runs[0]?.provider, unavailable, threads: THREADS, trunk: TRUNK, seconds: SECONDS, rounds: ROUNDS, loadBefore, loadAfter, totalSeconds: seconds, targets, models: runs.map(({ cells, json, ...r }) => ({ ...r, cells: [...cells, ...json] })) };
  return { markdown, data, targets };
}

/** Replaces (or appends) this benchmark's section of BENCHMARKS.md, leaving the rest as it is. */
export function writeSection(markdown: string, file = join(ROOT, 'BENCHMARKS.md')): void {
  const start = '<!-- gpu:start -->';
  const end = '<!-- gpu:end -->';
  const block = `${start}\n${markdown.trim()}\n${end}`;
  // Read-modify-write at once: other benchmarks write their own sections of the same file.
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : text.trim() ? `${text.trimEnd()}\n\n${block}\n` : `# Benchmarks\n\n${block}\n`;
  writeFileSync(file, next);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await runBench();
  console.log(r.markdown);
  // A GPU check where no listed provider loaded has measured nothing: say so in the exit code.
  if (PINNED && !(r.data as { models: unknown[] }).models.length) process.exitCode = 1;
  const jsonOut = opt('json', '');
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(r.data, null, 2));
  const mdOut = opt('md', '');
  if (mdOut) {
    mkdirSync(dirname(resolve(mdOut)), { recursive: true });
    writeFileSync(mdOut, r.markdown);
  }
  if (args.includes('--write')) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    writeSection(r.markdown.replace(/^(## [^\n]*\n\n`[^\n]*\n)/, `$1\n_Run ${when} UTC._\n`));
    console.error(`[gpu] wrote the gpu section of ${join(ROOT, 'BENCHMARKS.md')}`);
  }
}
