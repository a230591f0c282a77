// Opt-in (`npm run bench -- profile-ingest`): where the ingest time goes. Runs one ingest like
// ingest.mjs with V8 CPU profiles of the Worker isolate and of Miniflare's D1 and R2
// simulators (all inside the workerd process), and the workerd threads' CPU from /proc.
// The profiler slows things down: read the shares, not the absolute times.
import { join } from 'node:path';
import { generateItems, ndjsonSlice } from './lib/gen.mjs';
import { startWorker, sleep, fmt, mib, threadCpu } from './lib/worker.mjs';
import { startProfile, analyse, moduleMapper, moduleGroup } from './lib/cdp.mjs';

export const title = 'Ingest profile';
export const optIn = true;

const N = Number(process.env.BENCH_INGEST_ITEMS ?? 100_000);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9339);
const MODEL = { id: 'avlm-bench', version: '2026.11.0', stage: 'production' };

const pct = (a, b) => `${fmt((100 * a) / b)} %`;

export async function run({ log = console.log } = {}) {
  const w = await startWorker({ inspectorPort: INSPECTOR_PORT });
  try {
    const policies = (await w.api('GET', '/v1/policies')).json.policies;
    const items = [...generateItems({ n: N, seed: 1, policies, languages: ['pt-BR', 'en', 'es'] })];
    const sliceId = `bench-profile-${Date.now().toString(36)}`;
    const body = ndjsonSlice({ sliceId, model: MODEL, items });
    const mapLine = moduleMapper(w.script);
    const base = `ws://127.0.0.1:${INSPECTOR_PORT}`;
    const targets = { worker: 'core:user:avlm-diag', d1: 'd1:db', r2: 'r2:bucket', queue: 'queues:queue' };
    const profs = {};
    for (const [k, id] of Object.entries(targets)) {
      try { profs[k] = await startProfile(`${base}/${id}`); } catch (e) { log(`[profile] ${id}: ${e.message}`); }
    }
    const cpu0 = threadCpu(w.pid);
    const t0 = performance.now();
    const post = await w.api('POST', '/v1/regions/BR/slices', { body, headers: { 'content-type': 'application/x-ndjson' } });
    if (post.status !== 202) throw new Error(`POST → ${post.status} ${JSON.stringify(post.json).slice(0, 200)}`);
    let row;
    for (;;) {
      row = (await w.api('GET', `/v1/regions/BR/slices/${sliceId}`)).json;
      if (row.status !== 'processing') break;
      await sleep(100);
    }
    const wallMs = performance.now() - t0;
    const cpu1 = threadCpu(w.pid);
    const profiles = {};
    const rawProfiles = {};
    for (const [k, p] of Object.entries(profs)) profiles[k] = analyse(rawProfiles[k] = await p.stop());
    if (row.status === 'failed') throw new Error(`slice failed: ${row.error}`);

    // workerd threads
    const threads = [...cpu1].map(([t, v]) => ({ t, comm: v.comm, ms: v.ms - (cpu0.get(t)?.ms ?? 0) })).filter((x) => x.ms > 0).sort((a, b) => b.ms - a.ms);
    const cpuTotal = threads.reduce((s, x) => s + x.ms, 0);

    // Worker isolate: split at the consumer's first sample; self time by module and by function.
    const wp = profiles.worker;
    const isConsumer = (id) => wp.stack(id).some((n) => n.callFrame.functionName === 'processIngestMessage' || n.callFrame.functionName === 'handleQueue');
    const firstConsumerT = wp.samples.find((s) => isConsumer(s.id))?.t ?? Infinity;
    const phase = { submit: new Map(), consumer: new Map() };
    const fnSelf = { submit: new Map(), consumer: new Map() };
    const idle = new Set(['(idle)', '(program)']);
    let busy = { submit: 0, consumer: 0 }; let gc = { submit: 0, consumer: 0 };
    for (const s of wp.samples) {
      const n = wp.byId.get(s.id);
      const name = n.callFrame.functionName;
      if (idle.has(name)) continue;
      const ph = s.t < firstConsumerT ? 'submit' : 'consumer';
      busy[ph] += s.dt;
      if (name === '(garbage collector)') { gc[ph] += s.dt; continue; }
      const mod = n.callFrame.url ? moduleGroup(mapLine(n.callFrame.lineNumber)) : '(native)';
      phase[ph].set(mod, (phase[ph].get(mod) ?? 0) + s.dt);
      const fk = `${name || '(anonymous)'} — ${mod}`;
      fnSelf[ph].set(fk, (fnSelf[ph].get(fk) ?? 0) + s.dt);
    }
    const busyOf = (p) => { let b = 0; for (const s of p.samples) { const nm = p.byId.get(s.id).callFrame.functionName; if (!idle.has(nm)) b += s.dt; } return b; };
    const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);

    const lines = [
      `One ${fmt(N)}-item slice (${fmt(mib(body.length), 1)} MiB) with V8 sampling profilers (250 µs) attached to the Worker isolate and to Miniflare's D1 and R2 simulator isolates; wall time ${fmt(wallMs)} ms with the profilers on.`,
      '',
      '| where | busy ms (JS, from the profiles) | share of wall |',
      '|---|---:|---:|',
      `| Worker isolate — submit (before the consumer's first sample) | ${fmt(busy.submit / 1000)} | ${pct(busy.submit / 1000, wallMs)} |`,
      `| Worker isolate — consumer | ${fmt(busy.consumer / 1000)} | ${pct(busy.consumer / 1000, wallMs)} |`,
      `| of which GC (both phases) | ${fmt((gc.submit + gc.consumer) / 1000)} | ${pct((gc.submit + gc.consumer) / 1000, wallMs)} |`,
      ...Object.entries(profiles).filter(([k]) => k !== 'worker').map(([k, p]) => `| ${k} simulator isolate (JS side; SQLite itself runs natively, not sampled) | ${fmt(busyOf(p) / 1000)} | ${pct(busyOf(p) / 1000, wallMs)} |`),
      `| workerd process CPU, all threads (/proc) | ${fmt(cpuTotal)} | ${pct(cpuTotal, wallMs)} |`,
      '',
      'workerd threads (CPU ms during the ingest): ' + threads.slice(0, 6).map((x) => `${x.comm}#${x.t} ${fmt(x.ms)}`).join(', '),
      '',
    ];
    for (const ph of ['submit', 'consumer']) {
      lines.push(`Worker isolate, ${ph}: self time by module (top 10)`, '', '| module | ms | share of phase |', '|---|---:|---:|');
      for (const [m, us] of top(phase[ph], 10)) lines.push(`| ${m} | ${fmt(us / 1000)} | ${pct(us, busy[ph])} |`);
      lines.push(`| (garbage collector) | ${fmt(gc[ph] / 1000)} | ${pct(gc[ph], busy[ph])} |`, '');
      lines.push(`Worker isolate, ${ph}: self time by function (top 15)`, '', '| function — module | ms | share of phase |', '|---|---:|---:|');
      for (const [f, us] of top(fnSelf[ph], 15)) lines.push(`| ${f.replace(/\|/g, '\\|')} | ${fmt(us / 1000)} | ${pct(us, busy[ph])} |`);
      lines.push('');
    }
    if (process.env.BENCH_PROFILE_DUMP) {
      const { writeFileSync } = await import('node:fs');
      for (const [k, p] of Object.entries(profs)) void p;
      writeFileSync(process.env.BENCH_PROFILE_DUMP, JSON.stringify(Object.fromEntries(Object.entries(rawProfiles))));
    }
    return { markdown: lines.join('\n'), data: { wallMs, busy, gc, threads } };
  } finally {
    await w.dispose();
  }
}
