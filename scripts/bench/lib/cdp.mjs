// Minimal Chrome DevTools Protocol client (Node 22's global WebSocket) for V8 CPU profiles of
// workerd isolates through Miniflare's inspector proxy, plus helpers to read the profiles.
import { readFileSync } from 'node:fs';

export async function connect(wsUrl) {
  const ws = new WebSocket(wsUrl);
  await new Promise((res, rej) => { ws.onopen = res; ws.onerror = (e) => rej(new Error(`inspector ${wsUrl}: ${e.message ?? 'connect failed'}`)); });
  let seq = 0;
  const waiting = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data).toString());
    if (msg.id && waiting.has(msg.id)) {
      const { res, rej } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) rej(new Error(msg.error.message)); else res(msg.result);
    }
  };
  return {
    send(method, params = {}) {
      const id = ++seq;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((res, rej) => waiting.set(id, { res, rej }));
    },
    close() { ws.close(); },
  };
}

/** Starts sampling on one isolate; returns stop() → profile. */
export async function startProfile(wsUrl, intervalUs = 250) {
  const c = await connect(wsUrl);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await c.send('Profiler.start');
  return { async stop() { const { profile } = await c.send('Profiler.stop'); c.close(); return profile; } };
}

/** Module of a bundle line, from esbuild's `// path/to/file.ts` markers (unminified bundles). */
export function moduleMapper(bundlePath) {
  const lines = readFileSync(bundlePath, 'utf8').split('\n');
  const marks = [];
  lines.forEach((l, i) => {
    const m = /^\/\/ (\S+\.(?:ts|tsx|js|mjs|cjs|json))$/.exec(l);
    if (m) marks.push([i, m[1].replace(/^.*?\b((?:node_modules|functions|taxonomy|gpu-backend|db)\/)/, '$1')]);
  });
  return (line) => {
    let lo = 0; let hi = marks.length - 1; let best = '(bundle)';
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (marks[mid][0] <= line) { best = marks[mid][1]; lo = mid + 1; } else hi = mid - 1; }
    return best;
  };
}

/** Groups a module path: node_modules package, or the repo file. */
export function moduleGroup(path) {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1] : path;
}

/**
 * Self time per node of a profile. Returns {totalUs, nodes: Map(id → {node, selfUs}), parent: Map(id → parentId), samples: [{id, t}]}.
 */
export function analyse(profile, intervalUs = 250) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  const samples = [];
  let t = profile.startTime;
  // A sample's weight is the time until the next one, capped: workerd runs several isolates on
  // one thread, and while another isolate (or native I/O) has the thread, no samples come in;
  // that gap is not this isolate's CPU time.
  const cap = 4 * intervalUs;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = Math.min(profile.timeDeltas[i + 1] ?? 0, cap);
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    samples.push({ id, t, dt });
  }
  const stack = (id) => { const out = []; for (let x = id; x !== undefined; x = parent.get(x)) out.push(byId.get(x)); return out; };
  return { byId, parent, selfUs, samples, stack, totalUs: profile.endTime - profile.startTime };
}

/**
 * Samples one isolate's V8 heap (`Runtime.getHeapUsage`) every `ms` ms through the inspector.
 * One request in flight at a time: while the isolate runs a long synchronous task, the reply
 * waits for it, so the gaps between samples (maxGapMs, gaps) show how dense the sampling really
 * was.
 *
 * With `forceGc`, each sample but the first first runs `HeapProfiler.collectGarbage` (a full GC
 * of that isolate), so its `used` is the live (retained) heap at that moment. workerd runs that
 * GC as a task of the isolate: it happens at the isolate's next task boundary (stack empty) and
 * never while the isolate is idle — so stop() calls `pump()` (e.g. a cheap request to the
 * Worker) until the last forced sample is in. Forcing GC changes the run it samples: forced and
 * unforced samples belong in separate runs.
 *
 * stop() → {samples: [{t (performance.now()), used, total, backing?, embedder?, forced, gcMs?}],
 * peakUsed, peakTotal, peakBacking, peakUsedPlusBacking, maxGapMs, gaps (ms between samples,
 * sorted)}; with forceGc the last sample is a forced one taken after the run. `backing`
 * (ArrayBuffer backing stores, outside the JS heap) only where V8 reports backingStorageSize.
 */
export async function sampleHeap(wsUrl, ms = 50, { forceGc = false, pump } = {}) {
  const c = await connect(wsUrl);
  const samples = [];
  if (forceGc) await c.send('HeapProfiler.enable');
  const take = async (forced) => {
    let gcMs;
    if (forced) { const g0 = performance.now(); await c.send('HeapProfiler.collectGarbage'); gcMs = performance.now() - g0; }
    const r = await c.send('Runtime.getHeapUsage');
    samples.push({ t: performance.now(), used: r.usedSize, total: r.totalSize, backing: r.backingStorageSize, embedder: r.embedderHeapUsedSize, forced, gcMs });
  };
  await take(false); // fails here, not mid-run, if the method is missing; baseline before the run
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const next = performance.now() + ms;
      await take(forceGc);
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await take(forceGc); // after the run
  })();
  return {
    async stop() {
      stopping = true;
      let done = false;
      const finished = loop.finally(() => { done = true; });
      if (forceGc && pump) {
        while (!done) { await Promise.race([finished, new Promise((r) => setTimeout(r, 50))]); if (!done) await pump(); }
      }
      await finished;
      c.close();
      const max = (k) => Math.max(...samples.map((s) => s[k] ?? 0));
      const gaps = [];
      for (let i = 1; i < samples.length; i++) gaps.push(samples[i].t - samples[i - 1].t);
      gaps.sort((a, b) => a - b);
      return {
        samples, peakUsed: max('used'), peakTotal: max('total'),
        peakBacking: samples.some((s) => s.backing !== undefined) ? max('backing') : undefined,
        peakUsedPlusBacking: Math.max(...samples.map((s) => s.used + (s.backing ?? 0))),
        maxGapMs: gaps.at(-1) ?? 0, gaps,
      };
    },
  };
}
