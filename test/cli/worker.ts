// The Worker over HTTP for the CLI tests (test/pages/worker.ts's bundle and harness), with small
// ingest limits so a few thousand items take the queue path (202, then the CLI polls) and no
// GPU backend (items carry probes); plus a proxy that fails the first POSTs for retry tests.
import { spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestHarness } from 'wrangler';
import { ADMIN, ROOT, buildBundle, type RunningWorker } from '../pages/worker.ts';

export const CLI = join(ROOT, 'cli', 'avlm-diag.js');

export async function startWorker(outName: string, vars: Record<string, string>): Promise<RunningWorker> {
  const prebuiltWorkerDir = buildBundle(outName);
  const server = createTestHarness({
    root: ROOT,
    workers: [{ configPath: './wrangler.toml', prebuiltWorkerDir, secrets: { ADMIN_TOKEN: ADMIN }, vars: { INFERENCE_URL: 'http://127.0.0.1:9', ...vars } }],
  });
  const { url } = await server.listen();
  const worker = server.getWorker();
  await worker.applyD1Migrations('DB');
  return { url: url.href.replace(/\/$/, ''), env: async () => (await worker.getEnv()) as never, close: () => server.close() };
}

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs the CLI as a child process: the Node running the tests, or CLI_NODE (e.g. a Node 20). */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.env.CLI_NODE ?? process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A proxy in front of the Worker. `fail(n, req)` decides for the n-th POST (1-based):
 * '503' answers 503 without forwarding; 'drop' forwards the request, lets the Worker answer,
 * then cuts the client's connection without relaying that answer; 'pass' relays.
 */
export async function startProxy(target: string, fail: (n: number) => '503' | 'drop' | 'pass') {
  let posts = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const mode = req.method === 'POST' ? fail(++posts) : 'pass';
    if (mode === '503') {
      req.resume();
      req.on('end', () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"try again"}}'));
      return;
    }
    const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
      if (mode === 'drop') { r.resume(); r.on('end', () => req.socket.destroy()); return; }
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts: () => posts,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
