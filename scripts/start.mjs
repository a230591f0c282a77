// `npm start`: the whole service on one machine, with a working embedded default:
// local D1 (migrated + seeded), the local inference server (ONNX on onnxruntime-node),
// the Worker under `wrangler dev`, and the demo data written through the public API.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';

const PORT = process.env.PORT ?? '8787';
const INFERENCE_PORT = process.env.INFERENCE_PORT ?? '8000';
const DEMO = process.env.DEMO !== '0';
const children = [];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  child.on('exit', (code) => {
    console.error(`[start] ${name} exited (${code}); stopping`);
    shutdown(code ?? 1);
  });
  children.push(child);
  return child;
}

function shutdown(code = 0) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
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

console.log('[start] applying D1 migrations locally (schema + seed)…');
run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);

if (existsSync('gpu-backend/server/main.ts')) {
  start('inference server', process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/server/main.ts'], { INFERENCE_PORT });
}
start('wrangler dev', 'npx', ['wrangler', 'dev', '--port', PORT, '--ip', '127.0.0.1', '--var', `INFERENCE_URL:http://127.0.0.1:${INFERENCE_PORT}`]);

await waitFor(`http://127.0.0.1:${PORT}/healthz`);
if (DEMO && existsSync('scripts/demo.ts')) {
  console.log('[start] writing the demo platform through the API (DEMO=0 skips)…');
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', 'scripts/demo.ts', '--url', `http://127.0.0.1:${PORT}`, '--if-empty'], {
    stdio: 'inherit', env: { ...process.env, ADMIN_TOKEN: admin },
  });
  if (r.status !== 0) console.error('[start] demo generation failed; the service keeps running');
}
console.log(`\n[start] avlm-diag is up: http://127.0.0.1:${PORT}/docs  (admin token: ${admin ? 'see .dev.vars' : 'unset'})\n`);
