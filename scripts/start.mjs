// `npm start`: the whole service on one machine, with a working embedded default:
// local D1 (migrated + seeded), the local inference server (ONNX on onnxruntime-node),
// the Worker under `wrangler dev`, and the demo data written through the public API.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';

const PORT = process.env.PORT ?? '8787';
const INFERENCE_PORT = process.env.INFERENCE_PORT ?? '8000';
const DEMO = process.env.DEMO !== '0';
const children = [];

// Offline-friendly wrangler: no Request.cf fetch from workers.cloudflare.com (an ENOTFOUND
// trace on every start without network), no metrics, no banner; and no local trace store
// (X_LOCAL_OBSERVABILITY: on by default, it keeps a span per D1 query and queue batch under
// .wrangler/state/v3/observability, which grew by tens of MB per demo run and kept growing).
const WRANGLER_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', X_LOCAL_OBSERVABILITY: 'false' };

/** Runs a command quietly; its output is shown only when it fails. */
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...WRANGLER_ENV } });
  if (r.status !== 0) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    process.exit(r.status ?? 1);
  }
  return r.stdout ?? '';
}

// Each child leads its own process group (detached), so stopping it stops what it spawned too
// (wrangler runs workerd). Ctrl-C reaches only this process then: it stops the groups itself.
function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, detached: true });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] ${name} exited (${signal ?? code}); stopping`);
    shutdown(code || 1); // a child ending on its own is a failure, whatever its code
  });
  children.push(child);
  return child;
}

const alive = (pid) => { try { process.kill(-pid, 0); return true; } catch { return false; } };
const signalGroup = (pid, sig) => { try { process.kill(-pid, sig); } catch { /* gone */ } };

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  const pids = children.map((c) => c.pid).filter(Boolean);
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  // Up to 5 s to stop cleanly, then SIGKILL whatever is left of each group.
  const until = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) if (alive(pid)) signalGroup(pid, 'SIGKILL');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

async function waitFor(url, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up within ${ms} ms`);
}

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars');
  console.log('[start] created .dev.vars from .dev.vars.example');
}
const admin = /ADMIN_TOKEN=(.*)/.exec(readFileSync('.dev.vars', 'utf8'))?.[1]?.trim();

// One line instead of wrangler's tables: how many migrations were applied.
const applied = (run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']).match(/│\s*\d{4}_\S+\.sql\s*│\s*✅/g) ?? []).length;
console.log(`[start] local D1 (.wrangler/state): ${applied ? `${applied} migration(s) applied (schema + seed)` : 'schema and seed up to date'}`);

if (existsSync('gpu-backend/server/main.ts')) {
  start('inference server', process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/server/main.ts'], { INFERENCE_PORT });
}
start('wrangler dev', 'npx', ['wrangler', 'dev', '--port', PORT, '--ip', '127.0.0.1', '--var', `INFERENCE_URL:http://127.0.0.1:${INFERENCE_PORT}`], WRANGLER_ENV);

try {
  await waitFor(`http://127.0.0.1:${PORT}/healthz`);
} catch (e) {
  console.error(`[start] ${e.message}; stopping`);
  await shutdown(1);
}
if (DEMO && existsSync('scripts/demo.ts')) {
  console.log('[start] writing the demo platform through the API (DEMO=0 skips)…');
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', 'scripts/demo.ts', '--url', `http://127.0.0.1:${PORT}`, '--if-empty'], {
    stdio: 'inherit', env: { ...process.env, ADMIN_TOKEN: admin },
  });
  if (r.status !== 0) console.error('[start] demo generation failed; the service keeps running');
}
console.log(`\n[start] ready: http://127.0.0.1:${PORT}/docs (API docs), http://127.0.0.1:${PORT}/scorecards (pages); GPU backend http://127.0.0.1:${INFERENCE_PORT}; admin token: ${admin ? 'ADMIN_TOKEN in .dev.vars' : 'unset (set ADMIN_TOKEN in .dev.vars)'}\n`);
