// Opt-in (`npm run bench -- profile-ingest`): where the ingest time goes, for the same
// 100,000-item slice as the ingest part, on the path the ingest part times: the stream path
// (NDJSON with a content-length up to STREAM_INGEST_BYTES → one pass within the request → 201).
//  1. Stage costs in workerd: a probe Worker bundled from the same functions/ingest/* and
//     taxonomy/* code runs one stage per request on the body held in memory (lib/stages.mjs);
//     plus what the queue path (R2 + consumer) adds on top.
//  2. A V8 CPU profile of the Worker isolate during one real ingest (Miniflare's inspector):
//     self time by function, POST → 201. The profiler slows things down: read shares.
import { generateItems, ndjsonSlice } from './lib/gen.mjs';
import { startWorker, fmt, mib, threadCpu, cpuDelta, bundlePatches } from './lib/worker.mjs';
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
    const wallMs = performance.now() - t0;
    const cpu = cpuDelta(c0, threadCpu(w.pid));
    const p = analyse(await prof.stop(), INTERVAL_US);
    if (post.status !== 201 || post.json.status !== 'complete') {
      throw new Error(`POST → ${post.status} ${JSON.stringify(post.json).slice(0, 200)} (expected 201 complete from the stream path)`);
    }
    const row = (await w.api('GET', `/v1/regions/BR/slices/${sliceId}`)).json;
    if (row.status !== 'complete' || row.items !== N) throw new Error(`GET after the 201: status ${row.status}, ${row.items} items (sent ${N})`);
    log(`[profile] profiled ingest: 201 after ${fmt(wallMs)} ms, ${fmt(cpu.total)} ms workerd CPU`);

    // Self time by module and by function over the whole request; the commit (commitSlice and
    // what it calls) counted apart as well.
    const inCommit = (id) => p.stack(id).some((n) => n.callFrame.functionName === 'commitSlice');
    const idle = new Set(['(idle)', '(program)', '(root)']);
    const a = { busy: 0, gc: 0, commit: 0, mod: new Map(), fn: new Map() };
    for (const s of p.samples) {
      const n = p.byId.get(s.id);
      const name = n.callFrame.functionName;
      if (idle.has(name)) continue;
      a.busy += s.dt;
      if (name === '(garbage collector)') { a.gc += s.dt; continue; }
      if (inCommit(s.id)) a.commit += s.dt;
      const url = n.callFrame.url;
      const mod = !url ? '(V8/runtime builtins)' : url.endsWith('worker.js') ? moduleGroup(mapLine(n.callFrame.lineNumber)) : url;
      a.mod.set(mod, (a.mod.get(mod) ?? 0) + s.dt);
      const fk = `\`${name || '(anonymous)'}\` — ${mod}`;
      a.fn.set(fk, (a.fn.get(fk) ?? 0) + s.dt);
    }
    return { wallMs, cpu, acc: a };
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

  const streamRows = st.rows.filter((r) => r.where === 'stream');
  const queueRows = st.rows.filter((r) => r.where === 'queue');
  const sum = (rows, k) => rows.reduce((x, r) => x + r[k], 0);
  const stWall = sum(streamRows, 'ms');
  const stCpu = sum(streamRows, 'cpuMs');
  const top = (m, k) => [...m].sort((x, y) => y[1] - x[1]).slice(0, k);
  const a = pr.acc;
  const lines = [
    `Slice: the ingest part's ${fmt(N)} items (${fmt(mib(body.length), 1)} MiB NDJSON), POSTed with a content-length: the stream path (one pass within the request → \`201\`), as in the ingest part.${bundlePatches.length ? ` Bundle patched for the bench: ${bundlePatches.join(', ')} (see Ingest).` : ''}`,
    '',
    '**Stage costs in workerd.** A probe Worker, bundled from the same functions/ingest/* and taxonomy/* code, holds the body in memory and runs one stage per request; wall time from Node and CPU time of the whole workerd process (Worker + Miniflare\'s D1/R2 simulators), faster of 2 runs. The stream path runs each of its stages once, in one pass (claim and commit not included). The queue path (slices above STREAM_INGEST_BYTES, or sent without a content-length) runs the same stages plus the rows below them: the body goes through R2, and the consumer splits and parses it a second time.',
    '',
    '| path | stage | wall ms | CPU ms | share of the stream path\'s CPU |',
    '|---|---|---:|---:|---:|',
    ...streamRows.map((r) => `| stream | ${r.stage} | ${fmt(r.ms)} | ${fmt(r.cpuMs)} | ${pct(r.cpuMs, stCpu)} |`),
    `| stream | **sum** | ${fmt(stWall)} | ${fmt(stCpu)} | |`,
    ...queueRows.map((r) => `| queue path adds | ${r.stage} | ${fmt(r.ms)} | ${fmt(r.cpuMs)} | (${pct(r.cpuMs, stCpu)}) |`),
    `| queue path adds | **sum** | ${fmt(sum(queueRows, 'ms'))} | ${fmt(sum(queueRows, 'cpuMs'))} | (${pct(sum(queueRows, 'cpuMs'), stCpu)}) |`,
    '',
    `**CPU profile** of the Worker isolate during one stream-path ingest, POST → \`201\` (V8 sampling profiler through Miniflare's inspector, ${INTERVAL_US} µs; ${fmt(pr.wallMs)} ms wall and ${fmt(pr.cpu.total)} ms workerd CPU with the profiler on). Self time; JSON.parse, TextDecoder and other builtins count toward the function that calls them. ${fmt(a.busy / 1000)} ms sampled in the isolate, GC ${pct(a.gc, a.busy)}; the commit (\`commitSlice\` and below, one batch) ${pct(a.commit, a.busy)}.`,
    '',
    '| function — module | ms | share |',
    '|---|---:|---:|',
    ...top(a.fn, 16).map(([f, us]) => `| ${f.replace(/\|/g, '\\|')} | ${fmt(us / 1000)} | ${pct(us, a.busy)} |`),
    `| (garbage collector) | ${fmt(a.gc / 1000)} | ${pct(a.gc, a.busy)} |`,
    '',
    'By module: ' + top(a.mod, 10).map(([m, us]) => `${m} ${pct(us, a.busy)}`).join(', ') + '.',
  ];
  return { markdown: lines.join('\n'), data: { stages: st, profile: { wallMs: pr.wallMs, cpu: pr.cpu.total } } };
}
