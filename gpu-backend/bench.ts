// Benchmark of the local inference server (real HTTP, separate process) against raw
// InferenceSession.run on the same model in this process, and the gain of dynamic batching.
//
//   node --experimental-strip-types gpu-backend/bench.ts [--seconds 0.8] [--rounds 3] [--json out.json]
//
// Modes: raw InferenceSession.run in this process; the server (gpu-backend/server/main.ts,
// a child process) over HTTP (OIP JSON, bodies encoded once), with dynamic batching on and off.
// For batch sizes 1/8/64 rows per request and concurrency 1/16, the three modes run
// interleaved in --rounds slices of --seconds each (after a short warm-up), so a noisy
// neighbour hurts them alike. Prints Markdown tables. Bounded: 6 cells × 3 modes × rounds ×
// (seconds + 0.15 s) plus two server start-ups — about 45 s at the defaults.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import type { InferenceBatch } from './client/types.ts';
import { modelPath } from './model/repository.ts';
import { DIMS, INPUT_NAMES, mulberry32 } from './model/spec.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
/** Measured seconds per slice; each (mode, batch, concurrency) cell gets ROUNDS slices. */
const SECONDS = Number(opt('seconds', '0.8'));
const ROUNDS = Number(opt('rounds', '3'));
const WARMUP_MS = 150;
const BATCH_SIZES = [1, 8, 64];
const CONCURRENCY = [1, 16];
const QUEUE_DELAY_MS = 2;
const MAX_BATCH = 256;

function batchOf(rows: number, seed: number): InferenceBatch {
  const rand = mulberry32(seed);
  const r = (d: number) => Array.from({ length: rows }, () => Array.from({ length: d }, () => rand() * 2 - 1));
  return {
    audio: r(DIMS.audio), visual: r(DIMS.visual), text: r(DIMS.text),
    modality_mask: Array.from({ length: rows }, () => [1, 1, 1]),
    policy_context: Array.from({ length: rows }, () => [0]),
  };
}

interface Cell {
  mode: string; batch: number; concurrency: number;
  /** Median over the rounds. */
  itemsPerSec: number;
  p50: number; p99: number;
  /** Measured requests (warm-up excluded). */
  requests: number;
  /** Server executions (session.run) and requests merged per execution (warm-ups included in both). */
  runs?: number; requestsPerRun?: number;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Runs `call` from `concurrency` loops for SECONDS (after a short warm-up); latency per call. */
async function load(concurrency: number, rowsPerCall: number, call: () => Promise<unknown>) {
  const warmEnd = performance.now() + WARMUP_MS;
  let warmCalls = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < warmEnd) { await call(); warmCalls++; } }));
  const lat: number[] = [];
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await call();
      lat.push(performance.now() - s);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { itemsPerSec: (lat.length * rowsPerCall) / elapsed, lat, warmCalls };
}

async function startChild(env: Record<string, string>): Promise<{ url: string; provider: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', fileURLToPath(new URL('./server/main.ts', import.meta.url))], {
    env: { ...process.env, INFERENCE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready on (\S+) \(provider: (\w+)\)/.exec(out);
      if (m) resolve({ url: m[1], provider: m[2], child });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000).unref();
  });
}

function oipBody(batch: InferenceBatch): string {
  return JSON.stringify({
    inputs: INPUT_NAMES.map((name) => ({ name, datatype: 'FP32', shape: [batch[name].length, batch[name][0].length], data: batch[name].flat() })),
  });
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/v2/models/avlm/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`infer answered ${res.status}`);
}

async function executions(url: string): Promise<number> {
  const s = await (await fetch(`${url}/v2/models/avlm/stats`)).json();
  return s.model_stats[0].execution_count;
}

const cells: Cell[] = [];
const started = performance.now();
const loadBefore = loadavg()[0];

// Both servers (separate processes, idle until their turn) and the raw session, up front.
const MODES = ['raw session.run', 'server, batching on', 'server, batching off'] as const;
const servers = {
  'server, batching on': await startChild({ INFERENCE_QUEUE_DELAY_MS: String(QUEUE_DELAY_MS), INFERENCE_MAX_BATCH: String(MAX_BATCH) }),
  'server, batching off': await startChild({ INFERENCE_QUEUE_DELAY_MS: '0' }),
};
const provider = servers['server, batching on'].provider;
const session = await ort.InferenceSession.create(modelPath(), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });

try {
  for (const b of BATCH_SIZES) {
    const batch = batchOf(b, b);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, rows] of Object.entries(batch) as [string, number[][]][]) {
      feeds[name] = new ort.Tensor('float32', Float32Array.from(rows.flat()), [b, rows[0].length]);
    }
    // The request body is encoded once (as the OIP client would): the load generator shares
    // the machine with the server, and should spend its CPU on HTTP, not on JSON.
    const body = oipBody(batch);
    for (const c of CONCURRENCY) {
      // Interleave the modes in ROUNDS short slices, so that a noisy neighbour on the
      // machine hurts all of them alike; report the median slice and pooled latencies.
      const acc = Object.fromEntries(MODES.map((m) => [m, { rates: [] as number[], lat: [] as number[], requests: 0, runs: 0, served: 0 }]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of MODES) {
          const a = acc[mode];
          if (mode === 'raw session.run') {
            const r = await load(c, b, () => session.run(feeds));
            a.rates.push(r.itemsPerSec); a.lat.push(...r.lat); a.requests += r.lat.length;
          } else {
            const srv = servers[mode];
            const before = await executions(srv.url);
            const r = await load(c, b, () => post(srv.url, body));
            a.runs += (await executions(srv.url)) - before; // executions for the slice and its warm-up…
            a.served += r.lat.length + r.warmCalls; // …and the requests they served
            a.rates.push(r.itemsPerSec); a.lat.push(...r.lat); a.requests += r.lat.length;
          }
        }
      }
      for (const mode of MODES) {
        const a = acc[mode];
        a.lat.sort((x, y) => x - y);
        a.rates.sort((x, y) => x - y);
        cells.push({
          mode, batch: b, concurrency: c,
          itemsPerSec: a.rates[Math.floor(a.rates.length / 2)],
          p50: pct(a.lat, 0.5), p99: pct(a.lat, 0.99), requests: a.requests,
          ...(mode === 'raw session.run' ? {} : { runs: a.runs, requestsPerRun: a.served / Math.max(1, a.runs) }),
        });
      }
    }
  }
} finally {
  await session.release();
  for (const srv of Object.values(servers)) await new Promise((r) => { srv.child.once('exit', r); srv.child.kill('SIGTERM'); });
}

// 3. Report.
const find = (mode: string, b: number, c: number) => cells.find((x) => x.mode === mode && x.batch === b && x.concurrency === c)!;
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
const f2 = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const loadAfter = loadavg()[0];
const lines: string[] = [];
lines.push(`Reference AVLM (gpu-backend/model_repository/avlm/1/model.onnx), onnxruntime-node ${ort.env.versions.node}, server provider: ${provider}; ` +
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}. ` +
  `Each cell: ${ROUNDS} interleaved slices of ${SECONDS} s, median items/s, pooled latencies. Client and server share the machine. ` +
  `Batching on = INFERENCE_QUEUE_DELAY_MS=${QUEUE_DELAY_MS}, INFERENCE_MAX_BATCH=${MAX_BATCH}; off = INFERENCE_QUEUE_DELAY_MS=0. HTTP = OIP JSON requests (bodies encoded once) over keep-alive fetch.`);
lines.push('');
lines.push('| mode | rows/request | concurrency | items/s | p50 ms | p99 ms | requests | requests per session run | server ÷ raw |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const c of cells) {
  const raw = find('raw session.run', c.batch, c.concurrency);
  const ratio = c.mode === 'raw session.run' ? '—' : (c.itemsPerSec / raw.itemsPerSec).toFixed(3);
  lines.push(`| ${c.mode} | ${c.batch} | ${c.concurrency} | ${f0(c.itemsPerSec)} | ${f2(c.p50)} | ${f2(c.p99)} | ${f0(c.requests)} | ${c.requestsPerRun === undefined ? '—' : c.requestsPerRun.toFixed(1)} | ${ratio} |`);
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
lines.push('');
lines.push(`Total bench time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
if (loadBefore > cpus().length * 0.5) lines.push(`\n> Note: the machine was busy (load average ${loadBefore.toFixed(1)} on ${cpus().length} CPUs); absolute numbers are noisy, compare within a row group.`);
console.log(lines.join('\n'));
const jsonOut = opt('json', '');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ provider, seconds: SECONDS, rounds: ROUNDS, loadBefore, loadAfter, cells }, null, 2));
