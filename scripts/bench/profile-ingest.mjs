// Opt-in (`npm run bench -- profile-ingest`): where the ingest time goes, for the same
// 100,000-item slice as the ingest part.
//  1. Stage costs in workerd: a probe Worker bundled from the same functions/ingest/* and
//     taxonomy/* code runs one stage per request on the body held in memory (lib/stages.mjs).
//  2. A V8 CPU profile of the Worker isolate during one real ingest (Miniflare's inspector):
//     self time by function, submit vs consumer. The profiler slows things down: read shares.
import { generateItems, ndjsonSlice } from './lib/gen.mjs';
import { startWorker, sleep, fmt, mib, threadCpu, cpuDelta, bundlePatches } from './lib/worker.mjs';
import { startProfile, analyse, moduleMapper, moduleGroup } from './lib/cdp.mjs';
import { stageCosts } from './lib/stages.mjs';

export const title = 'Ingest: where the time goes';
export const optIn = true;

const N = Number(process.env.BENCH_INGEST_ITEMS ?? 100_000);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9339);
const MODEL = { id: 'avlm-bench', version: '2026.11.0', stage: 'production' };
const INTERVAL_US = 250;

const pct = (a, b) => `${fmt((100 * a) / b)} %`;

async function profiledIngest(body, sliceId, log) {
  const w = await startWorker({ inspectorPort: INSPECTOR_PORT });
  try {
    const mapLine = moduleMapper(w.script);
    const prof = await startProfile(`ws://127.0.0.1:${INSPECTOR_PORT}/core:user:avlm-diag`, INTERVAL_US);
    const c0 = threadCpu(w.pid);
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
    const cpu = cpuDelta(c0, threadCpu(w.pid));
    const p = analyse(await prof.stop(), INTERVAL_US);
    if (row.status === 'failed') throw new Error(`slice failed: ${row.error}`);
    log(`[profile] profiled ingest: ${fmt(wallMs)} ms wall, ${fmt(cpu.total)} ms workerd CPU`);

    // Split at the consumer's first sample; self time by module and by function.
    const isConsumer = (id) => p.stack(id).some((n) => n.callFrame.functionName === 'processIngestMessage' || n.callFrame.functionName === 'handleQueue');
    const firstConsumerT = p.samples.find((s) => isConsumer(s.id))?.t ?? Infinity;
    const idle = new Set(['(idle)', '(program)', '(root)']);
    const acc = { submit: { busy: 0, gc: 0, mod: new Map(), fn: new Map() }, consumer: { busy: 0, gc: 0, mod: new Map(), fn: new Map() } };
    for (const s of p.samples) {
      const n = p.byId.get(s.id);
      const name = n.callFrame.functionName;
      if (idle.has(name)) continue;
      const a = acc[s.t < firstConsumerT ? 'submit' : 'consumer'];
      a.busy += s.dt;
      if (name === '(garbage collector)') { a.gc += s.dt; continue; }
      const url = n.callFrame.url;
      const mod = !url ? '(V8/runtime builtins)' : url.endsWith('worker.js') ? moduleGroup(mapLine(n.callFrame.lineNumber)) : url;
      a.mod.set(mod, (a.mod.get(mod) ?? 0) + s.dt);
      const fk = `\`${name || '(anonymous)'}\` — ${mod}`;
      a.fn.set(fk, (a.fn.get(fk) ?? 0) + s.dt);
    }
    return { wallMs, cpu, acc };
  } finally {
    await w.dispose();
  }
}

export async function run({ log = console.log } = {}) {
  // Policies and thresholds from the service itself (GET /v1/policies), as in the ingest part.
  const w0 = await startWorker();
  let policies;
  try { policies = (await w0.api('GET', '/v1/policies')).json.policies; } finally { await w0.dispose(); }
  const items = [...generateItems({ n: N, seed: 1, policies, languages: ['pt-BR', 'en', 'es'] })];
  const sliceId = `bench-profile-${Date.now().toString(36)}`;
  const body = ndjsonSlice({ sliceId, model: MODEL, items });

  log('[profile] stage costs (probe Worker)…');
  const st = await stageCosts(body, { log });
  log('[profile] CPU profile of one ingest…');
  const pr = await profiledIngest(body, sliceId, log);

  const stWall = st.rows.reduce((a, r) => a + r.ms, 0);
  const stCpu = st.rows.reduce((a, r) => a + r.cpuMs, 0);
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  const lines = [
    `Slice: the ingest part's ${fmt(N)} items (${fmt(mib(body.length), 1)} MiB NDJSON).${bundlePatches.length ? ` Bundle patched for the bench: ${bundlePatches.join(', ')} (see Ingest).` : ''}`,
    '',
    '**Stage costs in workerd.** A probe Worker, bundled from the same functions/ingest/* and taxonomy/* code, holds the body in memory and runs one stage per request; wall time from Node and CPU time of the whole workerd process (Worker + Miniflare\'s D1/R2 simulators), faster of 2 runs. Stages that both phases run (split, JSON.parse) are listed once; the real ingest runs them twice.',
    '',
    '| phase | stage | wall ms | CPU ms | share of CPU |',
    '|---|---|---:|---:|---:|',
    ...st.rows.map((r) => `| ${r.where} | ${r.stage} | ${fmt(r.ms)} | ${fmt(r.cpuMs)} | ${pct(r.cpuMs, stCpu)} |`),
    `| | sum | ${fmt(stWall)} | ${fmt(stCpu)} | |`,
    '',
    `**CPU profile** of the Worker isolate during one ingest (V8 sampling profiler through Miniflare's inspector, ${INTERVAL_US} µs; ${fmt(pr.wallMs)} ms wall and ${fmt(pr.cpu.total)} ms workerd CPU with the profiler on). Self time; JSON.parse, TextDecoder and other builtins count toward the function that calls them.`,
    '',
  ];
  for (const ph of ['submit', 'consumer']) {
    const a = pr.acc[ph];
    lines.push(`${ph === 'submit' ? 'Submit' : 'Consumer'} (${fmt(a.busy / 1000)} ms sampled, GC ${pct(a.gc, a.busy)}):`, '', '| function — module | ms | share |', '|---|---:|---:|');
    for (const [f, us] of top(a.fn, 12)) lines.push(`| ${f.replace(/\|/g, '\\|')} | ${fmt(us / 1000)} | ${pct(us, a.busy)} |`);
    lines.push(`| (garbage collector) | ${fmt(a.gc / 1000)} | ${pct(a.gc, a.busy)} |`, '');
    lines.push('By module: ' + top(a.mod, 8).map(([m, us]) => `${m} ${pct(us, a.busy)}`).join(', ') + '.', '');
  }
  return { markdown: lines.join('\n'), data: { stages: st, profile: { wallMs: pr.wallMs, cpu: pr.cpu.total } } };
}
