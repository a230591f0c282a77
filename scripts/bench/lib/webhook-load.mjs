// Load generator for scripts/bench/webhooks.mjs, run as a SEPARATE process (child_process.fork)
// so the client's CPU is not the server's. Reads pre-signed deliveries (JSON lines:
// {kind, id, headers, body}) and fires them in order, phase by phase: each phase sends `count`
// requests with at most `concurrency` in flight, over an undici Pool with one keep-alive
// connection per request in flight (global fetch costs several times more client CPU per request
// and would measure the client). Retries a 503 (busy) like a vendor would. Stops starting new
// requests at the deadline. Writes per-request results to the output file.
//   node webhook-load.mjs <url> <deliveries.jsonl> <phases JSON [[count, concurrency, url?], …]> <deadline ms> <out.json>
// A phase's own url (same path, another origin) replaces <url> for that phase. A phase
// [count, concurrency, url, 'GET'] is a calibration: `count` plain GETs of that url, no delivery
// consumed, reported with its phase only.
import { readFileSync, writeFileSync } from 'node:fs';
import { Pool } from 'undici';

const [, , url, file, phasesArg, deadlineArg, outFile] = process.argv;
const phases = JSON.parse(phasesArg);
const deadline = performance.now() + Number(deadlineArg);
const deliveries = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const pools = new Map();
const poolFor = (u) => {
  const t = new URL(u);
  if (!pools.has(t.origin)) pools.set(t.origin, new Pool(t.origin, { connections: Math.max(...phases.map(([, c]) => c)), pipelining: 1, keepAliveTimeout: 60_000 }));
  return { pool: pools.get(t.origin), path: t.pathname };
};

async function send(d, { pool, path }) {
  const lat = [];
  let status = 0, body = null;
  for (let attempt = 1; attempt <= 6; attempt++) {
    const s = performance.now();
    try {
      const res = await pool.request({ path, method: 'POST', headers: d.headers, body: d.body });
      status = res.statusCode;
      body = await res.body.json().catch(() => null);
    } catch (e) {
      status = -1;
      body = { error: String(e) };
    }
    lat.push(performance.now() - s);
    if (status !== 503 && status !== -1) break;
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
  return { status, duplicate: body?.duplicate ?? null, lat };
}

const results = [];
const phaseStats = [];
let next = 0;
let cut = false;
for (const [count, concurrency, phaseUrl, method] of phases) {
  const target = poolFor(phaseUrl ?? url);
  process.send?.({ phase: phaseStats.length });
  if (method === 'GET') {
    const t0 = performance.now();
    let left = count, bad = 0;
    const lat = [];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const s = performance.now();
        const res = await target.pool.request({ path: target.path, method: 'GET' });
        await res.body.text();
        if (res.statusCode !== 200) bad++;
        lat.push(performance.now() - s);
      }
    }));
    phaseStats.push({ concurrency, url: phaseUrl, calibration: true, sent: count, bad, wallMs: performance.now() - t0, lat });
    continue;
  } // the parent samples workerd's CPU per phase
  const end = Math.min(deliveries.length, next + count);
  const t0 = performance.now();
  const first = next;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < end) {
      if (performance.now() > deadline) { cut = true; return; }
      const i = next++;
      const d = deliveries[i];
      results[i] = { i, kind: d.kind, id: d.id, phase: phaseStats.length, ...(await send(d, target)) };
    }
  }));
  phaseStats.push({ concurrency, url: phaseUrl ?? url, sent: next - first, wallMs: performance.now() - t0 });
  if (cut) break;
}
process.send?.({ phase: 'end' });
await Promise.all([...pools.values()].map((p) => p.close()));
writeFileSync(outFile, JSON.stringify({ phases: phaseStats, cut, sent: next, results: results.filter(Boolean) }));
process.exit(0);
