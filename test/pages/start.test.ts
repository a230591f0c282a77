// `npm start` (scripts/start.mjs) stops what it started: SIGTERM stops every child and what
// they spawned (wrangler runs workerd), and one child dying stops the rest with a non-zero exit.
import { describe, it, expect } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT } from './worker.ts';

const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => res(port)); });
});

/** Every process below `pid`, with its command line. */
function descendants(pid: number): Array<{ pid: number; cmd: string }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!).map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), cmd: m[3] }));
  const out: Array<{ pid: number; cmd: string }> = [];
  const walk = (p: number) => { for (const r of rows) if (r.ppid === p) { out.push({ pid: r.pid, cmd: r.cmd }); walk(r.pid); } };
  walk(pid);
  return out;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function refuses(port: number) {
  try { await fetch(`http://127.0.0.1:${port}/healthz`); return false; } catch { return true; }
}

/** Starts `node scripts/start.mjs` and resolves once it says the service is up. */
async function startService(): Promise<{ proc: ChildProcess; port: number; exited: Promise<number | null>; log: () => string }> {
  const [port, inference] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT, env: { ...process.env, DEMO: '0', PORT: String(port), INFERENCE_PORT: String(inference) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  let log = '';
  await new Promise<void>((res, rej) => {
    const onData = (d: Buffer) => { log += d; if (log.includes('[start] ready: ')) res(); };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d) => { log += d; });
    exited.then((code) => rej(new Error(`start.mjs exited (${code}) before it was up:\n${log.slice(-2000)}`)));
  });
  return { proc, port, exited, log: () => log };
}

async function gone(pids: number[], ms = 10_000) {
  const until = Date.now() + ms;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('npm start stops what it started', () => {
  it('SIGTERM stops wrangler, workerd and the inference server; the port refuses', async () => {
    const s = await startService();
    // A quiet start: one line for the migrations, no DNS traces offline, a ready line with the URLs and where the admin token is.
    expect(s.log().match(/\[start\] local D1/g)).toHaveLength(1);
    expect(s.log()).not.toContain('ENOTFOUND');
    expect(s.log()).toMatch(/\[start\] ready: http:\/\/127\.0\.0\.1:\d+\/docs .*admin token: ADMIN_TOKEN in \.dev\.vars/);
    const kids = descendants(s.proc.pid!);
    expect(kids.some((k) => /workerd/.test(k.cmd)), kids.map((k) => k.cmd).join('\n')).toBe(true);
    expect(await refuses(s.port)).toBe(false);
    s.proc.kill('SIGTERM');
    await s.exited;
    expect(await gone(kids.map((k) => k.pid))).toEqual([]);
    expect(await refuses(s.port)).toBe(true);
  });

  it('the inference server dying stops wrangler and exits non-zero', async () => {
    const s = await startService();
    const kids = descendants(s.proc.pid!);
    const inference = kids.find((k) => k.cmd.includes('gpu-backend/server/main.ts'));
    expect(inference, kids.map((k) => k.cmd).join('\n')).toBeDefined();
    process.kill(inference!.pid, 'SIGKILL');
    expect(await s.exited).not.toBe(0);
    expect(await gone(kids.map((k) => k.pid))).toEqual([]);
    expect(await refuses(s.port)).toBe(true);
  });
});
