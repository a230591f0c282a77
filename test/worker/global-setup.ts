// Runs in Node before the workerd tests: starts the real local inference server (the ONNX
// reference model on onnxruntime-node) and, in front of it, a fault-injecting proxy whose
// mode the tests switch over HTTP (ok | down | 500 | 503 | slow), then hands the proxy's URL
// to the Worker as INFERENCE_URL.
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

/** The server as its own process, the way `npm start` runs it; resolves with its URL. */
function startInferenceServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/server/main.ts'], {
    env: { ...process.env, INFERENCE_PORT: '0', INFERENCE_PROVIDERS: 'cpu', INFERENCE_QUEUE_DELAY_MS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`inference server did not start: ${out}`)), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /ready on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[1], stop: () => child.kill('SIGTERM') }); }
    });
    child.stderr.on('data', (c) => { out += c; });
    child.on('exit', (code) => reject(new Error(`inference server exited (${code}): ${out}`)));
  });
}

declare module 'vitest' {
  export interface ProvidedContext { inferenceUrl: string }
}

/** A feature value only the fault tests use; see probes.test.ts. */
export const FAULT_MARK = '0.0314159';
/** A feature value the proxy always refuses with a 400 naming the input, whatever the mode
 *  (like Triton refusing a bad tensor): see probes-isolate.test.ts. */
export const REFUSE_MARK = '0.0271828';

export default async function setup(project: TestProject) {
  const backend = await startInferenceServer();
  const target = new URL(backend.url);
  let mode = 'ok';
  // Faults hit only requests that carry FAULT_MARK (a feature value the fault tests put in
  // their items): test files run in parallel, and other files' probe jobs must keep working.
  const proxy = http.createServer((req, res) => {
    if (req.url === '/__fault') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        if (req.method === 'POST') mode = JSON.parse(body).mode;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ mode }));
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.includes(REFUSE_MARK)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: "unexpected value in input 'audio' for model 'avlm'" }));
        return;
      }
      const faulty = mode !== 'ok' && body.includes(FAULT_MARK);
      if (faulty && mode === 'down') { req.socket.destroy(); return; }
      if (faulty && (mode === '500' || mode === '503')) { res.writeHead(Number(mode), { 'content-type': 'application/json' }).end('{"error":"injected"}'); return; }
      const fwd = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.writeHead(502).end());
      const send = () => fwd.end(body);
      if (faulty && mode === 'slow') setTimeout(send, 5_000);
      else send();
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  project.provide('inferenceUrl', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  return async () => {
    await new Promise((r) => proxy.close(r));
    backend.stop();
  };
}
