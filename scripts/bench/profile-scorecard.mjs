// Opt-in (`npm run bench -- profile-scorecard`): where a scorecard request's workerd CPU goes.
// The scorecard part's world (BENCH_SCORECARD_ITEMS over 125 regions × 3 versions, submitted
// through the API), its item partitions synced, then a V8 CPU profile of the Worker isolate over
// 200 scorecard requests to random regions / versions (Miniflare's inspector). Self time by
// function, and the workerd CPU per request without the profiler for scale.
import { startWorker, threadCpu, cpuDelta, fmt } from './lib/worker.mjs';
import { startProfile, analyse, moduleMapper, moduleGroup } from './lib/cdp.mjs';
import { fill, jobsFor, picker, partitionsSynced, MODEL_ID, VERSIONS } from './scorecard.mjs';

export const title = 'Scorecard: where the CPU goes';
export const optIn = true;

const ITEMS = Number(process.env.BENCH_SCORECARD_ITEMS ?? 1_000_000);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9340);
const INTERVAL_US = 200;
const REQUESTS = 200;
const q = encodeURIComponent;

export async function run({ log = console.log } = {}) {
  // BENCH_STATE_DIR: fill once, then rerun on the same data (each run bundles the current code).
  const stateDir = process.env.BENCH_STATE_DIR;
  const w = await startWorker({ inspectorPort: INSPECTOR_PORT, stateDir, directSocket: !process.env.BENCH_VIA_ENTRY });
  try {
    const policies = (await w.api('GET', '/v1/policies')).json.policies;
    const regions = (await w.api('GET', '/v1/regions')).json.regions.filter((r) => r.languages.length).slice(0, 125);
    const key = (await w.api('POST', '/v1/admin/keys', { body: JSON.stringify({ regions: ['*'], scopes: ['read'] }), headers: { 'content-type': 'application/json' } })).json.key;
    if (!w.reused) {
      // As the scorecard part: BENCH_SCORECARD_FIRST items first, then the rest (two slices per region × version).
      const first = Number(process.env.BENCH_SCORECARD_FIRST ?? 0);
      const per = (n) => Math.ceil(n / (regions.length * VERSIONS.length));
      if (first > 0) await fill(w, jobsFor(regions, per(first)), policies, 1, Infinity, log);
      await fill(w, jobsFor(regions, per(ITEMS - first)), policies, 2, Infinity, log);
      await partitionsSynced(w, log);
      w.markFilled();
    }
    const p = picker(regions, 7);
    const path = () => `/v1/regions/${p.region()}/scorecard?model=${q(MODEL_ID)}&version=${q(p.version().version)}`;
    const get = async () => {
      const res = await fetch(new URL(path(), w.directUrl ?? w.url), { headers: { authorization: `Bearer ${key}` } });
      const t = await res.text();
      if (res.status !== 200) throw new Error(`scorecard → ${res.status} ${t.slice(0, 200)}`);
      return t.length;
    };
    for (let i = 0; i < 20; i++) await get();
    let c0 = threadCpu(w.pid); let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) bytes += await get();
    const plain = cpuDelta(c0, threadCpu(w.pid)).total / REQUESTS;
    log(`[profile-scorecard] without the profiler: ${fmt(plain, 2)} ms workerd CPU per request, ${fmt(bytes / REQUESTS / 1024, 1)} KiB`);
    const mapLine = moduleMapper(w.script);
    // The Worker, and beside it the isolates of Miniflare's D1 simulator and its dev entry
    // worker, which a request also runs through (their busy time counts in workerd's CPU).
    const OTHERS = ['d1:db', 'd1:db:entry', 'core:entry'];
    const profs = await Promise.all(['core:user:avlm-diag', ...OTHERS].map((t) => startProfile(`ws://127.0.0.1:${INSPECTOR_PORT}/${t}`, INTERVAL_US)));
    c0 = threadCpu(w.pid);
    for (let i = 0; i < REQUESTS; i++) await get();
    const cpu = cpuDelta(c0, threadCpu(w.pid)).total / REQUESTS;
    const [pr, ...rest] = await Promise.all(profs.map(async (x) => analyse(await x.stop(), INTERVAL_US)));
    const busyOf = (a) => a.samples.reduce((t, s) => t + (['(idle)', '(program)', '(root)'].includes(a.byId.get(s.id).callFrame.functionName) ? 0 : s.dt), 0);
    const othersLine = OTHERS.map((t, i) => `${t} ${fmt(busyOf(rest[i]) / 1000 / REQUESTS, 3)} ms`).join(', ');
    log(`[profile-scorecard] other isolates busy per request: ${othersLine}`);
    if (process.env.BENCH_PROFILE_VERBOSE) rest.forEach((a, i) => {
      const self = new Map();
      for (const s of a.samples) { const c = a.byId.get(s.id).callFrame; const k = `${c.functionName || '(anon)'}@${c.url.split('/').pop()}:${c.lineNumber}`; self.set(k, (self.get(k) ?? 0) + s.dt); }
      log(`  ${OTHERS[i]}: ` + [...self].sort((x, y) => y[1] - x[1]).slice(0, 12).map(([k, us]) => `${k} ${fmt(us / 1000 / REQUESTS, 3)}`).join(', '));
    });
    const idle = new Set(['(idle)', '(program)', '(root)']);
    const fn = new Map(); const mod = new Map(); const incl = new Map(); let busy = 0;
    for (const s of pr.samples) {
      const n = pr.byId.get(s.id);
      const name = n.callFrame.functionName;
      if (idle.has(name)) continue;
      busy += s.dt;
      const modOf = (x) => (!x.callFrame.url ? '(builtins)' : x.callFrame.url.endsWith('worker.js') ? moduleGroup(mapLine(x.callFrame.lineNumber)) : x.callFrame.url);
      const m = modOf(n);
      mod.set(m, (mod.get(m) ?? 0) + s.dt);
      const k = `\`${name || '(anonymous)'}\` — ${m}`;
      fn.set(k, (fn.get(k) ?? 0) + s.dt);
      // Inclusive time per function (once per sample, however deep the recursion).
      const seen = new Set();
      for (const x of pr.stack(s.id)) {
        const xk = `\`${x.callFrame.functionName || '(anonymous)'}\` — ${modOf(x)}`;
        if (seen.has(xk)) continue;
        seen.add(xk);
        incl.set(xk, (incl.get(xk) ?? 0) + s.dt);
      }
    }
    const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
    const perReq = (us) => fmt(us / 1000 / REQUESTS, 3);
    const lines = [
      `${REQUESTS} scorecard requests at ~${fmt(ITEMS)} items: workerd CPU ${fmt(plain, 2)} ms per request without the profiler, ${fmt(cpu, 2)} with it; isolate busy ${perReq(busy)} ms per request (sampled, ${INTERVAL_US} µs).`,
      '', '| function — module (self) | ms / request |', '|---|---:|',
      ...top(fn, 25).map(([f, us]) => `| ${f.replace(/\|/g, '\\|')} | ${perReq(us)} |`),
      '', '| function — module (inclusive) | ms / request |', '|---|---:|',
      ...top(incl, 40).map(([f, us]) => `| ${f.replace(/\|/g, '\\|')} | ${perReq(us)} |`),
      '', 'By module: ' + top(mod, 12).map(([m, us]) => `${m} ${perReq(us)}`).join(', '),
      '', `Other isolates a request runs through, busy per request: ${othersLine}.`,
    ];
    return { markdown: lines.join('\n'), data: {} };
  } finally {
    await w.dispose();
  }
}
