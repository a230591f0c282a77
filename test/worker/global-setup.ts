// Runs in Node before the workerd tests: starts the real local inference server (the ONNX
// reference model on onnxruntime-node) and, in front of it, a fault-injecting proxy whose
// mode the tests switch over HTTP (ok | down | 500 | 503 | slow), then hands the proxy's URL
// to the Worker as INFERENCE_URL. Also a webhook receiver for the notification tests (see
// startReceiver) and the URL of a port nothing listens on.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
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
  export interface ProvidedContext { inferenceUrl: string; receiverUrl: string; downUrl: string }
}

/** One receiver per name (/hook/<name>): it verifies every request's Standard Webhooks
 *  signature with the `standardwebhooks` library against the secret the test registered, records
 *  it, and answers with the next status of its script ('hang': no answer for 3 s; 'drop': the
 *  connection closed unanswered), then 200.
 *  Control: POST /__hooks/<name> {secret, script} (resets it), GET /__hooks/<name> → {received}. */
function startReceiver(): Promise<{ url: string; stop: () => Promise<void> }> {
  type Answer = number | 'hang' | 'drop';
  type Got = { id: string; timestamp: string; verified: boolean; error?: string; body: unknown; answered: Answer; at: number };
  const hooks = new Map<string, { secret: string; script: Answer[]; received: Got[] }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [, kind, name] = /^\/(__hooks|hook)\/([\w-]+)$/.exec(req.url ?? '') ?? [];
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (kind === '__hooks') {
        if (req.method === 'POST') hooks.set(name, { ...JSON.parse(text), received: [] });
        return json(200, { received: hooks.get(name)?.received ?? [] });
      }
      const hook = name ? hooks.get(name) : undefined;
      if (!hook) return json(404, { error: 'no such hook' });
      const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
      let verified = true;
      let error: string | undefined;
      try { new Webhook(hook.secret).verify(text, headers); } catch (e) { verified = false; error = (e as Error).message; }
      const answer = verified ? hook.script.shift() ?? 200 : 401;
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* kept as text */ }
      hook.received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], verified, error, body, answered: answer, at: Date.now() });
      if (answer === 'hang') { setTimeout(() => json(200, {}), 3_000); return; }
      if (answer === 'drop') { req.socket.destroy(); return; }
      json(answer, {});
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}

/** A local URL that refuses connections: a port taken and released again. */
async function downUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/hook/down`;
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
  const receiver = await startReceiver();
  project.provide('receiverUrl', receiver.url);
  project.provide('downUrl', await downUrl());
  return async () => {
    await receiver.stop();
    await new Promise((r) => proxy.close(r));
    backend.stop();
  };
}
