// The local inference server over real HTTP: every route against the published Open Inference
// Protocol definition, malformed tensors, the binary tensor extension, the HF-format root,
// dynamic batching, and the entry point's startup line and SIGTERM.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { startServer, type RunningServer } from '../../gpu-backend/server/server.ts';
import { DIMS, referenceForward } from '../../gpu-backend/model/spec.ts';
import { loadOipValidator, maxAbsDiff, OIP_SPEC_PATH, oipRequest, randomBatch, rowsOf, type OipValidator } from './helpers.ts';

const P = POLICY_CODES.length;
let server: RunningServer;
let oip: OipValidator | undefined;

beforeAll(async () => {
  server = await startServer({ port: 0, queueDelayMs: 2 });
  oip = await loadOipValidator();
  if (!oip) console.warn(`SKIPPED OpenAPI validation: ${OIP_SPEC_PATH} is absent (it lives in ../shared, present in CI)`);
});
afterAll(async () => {
  await server?.close();
});

/** Calls the server; validates request and response against the OIP definition when the route is in it. */
async function call(method: string, path: string, body?: unknown, opts: { validate?: boolean; raw?: string } = {}) {
  const init: RequestInit = { method };
  if (opts.raw !== undefined) init.body = opts.raw;
  else if (body !== undefined) init.body = JSON.stringify(body);
  if (init.body !== undefined) init.headers = { 'content-type': 'application/json' };
  const res = await fetch(server.url + path, init);
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (oip && opts.validate !== false) {
    if (body !== undefined && res.status === 200) expect(oip.request(method, path, body), `request ${method} ${path}`).toEqual([]);
    expect(oip.response(method, path, res.status, json), `response ${method} ${path} ${res.status}`).toEqual([]);
  }
  return { status: res.status, json, headers: res.headers };
}

describe('OpenAPI validation', () => {
  it('is not vacuous: the OIP definition rejects non-conforming bodies', (ctx) => {
    if (!oip) return ctx.skip();
    expect(oip.response('GET', '/v2', 200, { name: 'x' })).not.toEqual([]); // version, extensions missing
    expect(oip.response('POST', '/v2/models/avlm/infer', 200, { model_name: 'avlm', outputs: [{ name: 'scores' }] })).not.toEqual([]);
    expect(oip.response('POST', '/v2/models/avlm/infer', 400, { error: 42 })).not.toEqual([]);
    expect(oip.request('POST', '/v2/models/avlm/infer', { inputs: [{ name: 'audio', shape: [1, 16], data: [] }] })).not.toEqual([]);
  });
});

describe('health and metadata routes', () => {
  it('GET /v2/health/live and /v2/health/ready answer 200', async () => {
    expect((await call('GET', '/v2/health/live')).status).toBe(200);
    const ready = await call('GET', '/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ ready: true });
  });

  it('GET /v2 (and /v2/) is the server metadata, naming the execution provider', async () => {
    for (const path of ['/v2', '/v2/']) {
      const r = await call('GET', path);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ name: 'avlm-diag-inference', extensions: expect.arrayContaining(['binary_tensor_data']) });
      expect(r.json.execution_provider).toBe(server.provider);
    }
    expect(['tensorrt', 'cuda', 'cpu']).toContain(server.provider);
  });

  it('GET /v2/models/avlm (and /versions/1) describes the SPEC §7 tensors', async () => {
    for (const path of ['/v2/models/avlm', '/v2/models/avlm/versions/1']) {
      const r = await call('GET', path);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        name: 'avlm',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'audio', datatype: 'FP32', shape: [-1, DIMS.audio] },
          { name: 'visual', datatype: 'FP32', shape: [-1, DIMS.visual] },
          { name: 'text', datatype: 'FP32', shape: [-1, DIMS.text] },
          { name: 'modality_mask', datatype: 'FP32', shape: [-1, 3] },
          { name: 'policy_context', datatype: 'FP32', shape: [-1, 1] },
        ],
        outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, P] }],
        labels: [...POLICY_CODES], // score columns, from the repository's labels.txt
      });
    }
  });

  it('GET /v2/models/avlm/ready (and /versions/1/ready) answers 200', async () => {
    expect((await call('GET', '/v2/models/avlm/ready')).status).toBe(200);
    expect((await call('GET', '/v2/models/avlm/versions/1/ready')).status).toBe(200);
  });

  it('unknown model or version is 404 {"error"}; wrong method is 405', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/avlm/versions/9']) {
      const r = await call('GET', path);
      expect(r.status).toBe(404);
      expect(typeof r.json.error).toBe('string');
    }
    const infer = await call('POST', '/v2/models/nope/infer', oipRequest(randomBatch(1, 1)));
    expect(infer.status).toBe(404);
    expect(infer.json.error).toMatch(/model 'nope' not found/);
    const get = await call('GET', '/v2/models/avlm/infer', undefined, { validate: false });
    expect(get.status).toBe(405);
    expect((await call('GET', '/v3/whatever', undefined, { validate: false })).status).toBe(404);
  });
});

describe('POST /v2/models/avlm/infer', () => {
  it('returns the model scores for flat data, equal to the reference forward pass', async () => {
    const batch = randomBatch(12, 3);
    const r = await call('POST', '/v2/models/avlm/infer', oipRequest(batch, { id: 'req-1' }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ model_name: 'avlm', model_version: '1', id: 'req-1' });
    const [out] = r.json.outputs;
    expect(out).toMatchObject({ name: 'scores', datatype: 'FP32', shape: [12, P] });
    expect(maxAbsDiff(rowsOf(out.data, P), referenceForward(batch))).toBeLessThan(1e-5);
  });

  it('accepts nested data and the versioned path; returns the requested outputs', async () => {
    const batch = randomBatch(3, 4);
    const body = {
      inputs: (['audio', 'visual', 'text', 'modality_mask', 'policy_context'] as const).map((name) => ({
        name, datatype: 'FP32', shape: [3, batch[name][0].length], data: batch[name],
      })),
      outputs: [{ name: 'scores' }],
    };
    const r = await call('POST', '/v2/models/avlm/versions/1/infer', body);
    expect(r.status).toBe(200);
    expect(r.json.outputs).toHaveLength(1);
    expect(maxAbsDiff(rowsOf(r.json.outputs[0].data, P), referenceForward(batch))).toBeLessThan(1e-5);
  });

  const bad: [string, (req: any) => void, RegExp][] = [
    ['wrong shape', (q) => { q.inputs[0].shape = [2, 15]; }, /shape must be \[batch, 16\]/],
    ['3-d shape', (q) => { q.inputs[0].shape = [2, 16, 1]; }, /shape must be/],
    ['wrong datatype', (q) => { q.inputs[1].datatype = 'INT32'; }, /datatype must be FP32/],
    ['wrong data length', (q) => { q.inputs[2].data.pop(); }, /data has 63 elements, shape \[2,32\] needs 64/],
    ['non-numeric data', (q) => { q.inputs[3].data[0] = 'x'; }, /finite numbers/],
    ['unknown input', (q) => { q.inputs.push({ name: 'video', datatype: 'FP32', shape: [2, 1], data: [0, 0] }); }, /unknown input 'video'/],
    ['missing input', (q) => { q.inputs.splice(4, 1); }, /missing input\(s\): policy_context/],
    ['inconsistent batch', (q) => { q.inputs[4].shape = [1, 1]; q.inputs[4].data = [0]; }, /has batch 1, other inputs have 2/],
    ['unknown output', (q) => { q.outputs = [{ name: 'logits' }]; }, /unknown output 'logits'/],
    ['empty batch', (q) => { for (const i of q.inputs) { i.shape = [0, i.shape[1]]; i.data = []; } }, /batch dimension must be >= 1/],
  ];
  for (const [what, mutate, message] of bad) {
    it(`400 {"error"} for ${what}`, async () => {
      const req = oipRequest(randomBatch(2, 5)) as any;
      mutate(req);
      const r = await call('POST', '/v2/models/avlm/infer', req);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(message);
    });
  }

  it('400 for a body that is not JSON', async () => {
    const r = await call('POST', '/v2/models/avlm/infer', undefined, { raw: '{"inputs": [' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/not valid JSON/);
  });

  it('speaks the binary tensor data extension both ways', async () => {
    const batch = randomBatch(5, 6);
    const names = ['audio', 'visual', 'text', 'modality_mask', 'policy_context'] as const;
    const blobs = names.map((n) => Buffer.from(Float32Array.from(batch[n].flat()).buffer));
    const header = Buffer.from(JSON.stringify({
      inputs: names.map((n, i) => ({ name: n, datatype: 'FP32', shape: [5, batch[n][0].length], parameters: { binary_data_size: blobs[i].length } })),
      outputs: [{ name: 'scores', parameters: { binary_data: true } }],
    }));
    const res = await fetch(`${server.url}/v2/models/avlm/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, ...blobs]),
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const n = Number(res.headers.get('inference-header-content-length'));
    const head = JSON.parse(body.subarray(0, n).toString());
    expect(head.outputs[0]).toMatchObject({ name: 'scores', shape: [5, P], parameters: { binary_data_size: 5 * P * 4 } });
    const data = Array.from({ length: 5 * P }, (_, i) => body.readFloatLE(n + i * 4));
    expect(maxAbsDiff(rowsOf(data, P), referenceForward(batch))).toBeLessThan(1e-5);
  });
});

describe('Hugging Face endpoint format at the root', () => {
  it('POST / {"inputs": {...}} answers a nested score array; GET / is health', async () => {
    const batch = randomBatch(4, 8);
    const res = await fetch(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: batch }) });
    expect(res.status).toBe(200);
    const scores = await res.json();
    expect(maxAbsDiff(scores, referenceForward(batch))).toBeLessThan(1e-5);
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    const bad = await fetch(`${server.url}/`, { method: 'POST', body: JSON.stringify({ inputs: { ...batch, audio: [[1, 2]] } }) });
    expect(bad.status).toBe(400);
  });
});

describe('dynamic batching', () => {
  async function burst(s: RunningServer, requests: number, rows: number) {
    const batches = Array.from({ length: requests }, (_, i) => randomBatch(rows, 100 + i));
    const before = s.stats();
    const answers = await Promise.all(batches.map((b) =>
      fetch(`${s.url}/v2/models/avlm/infer`, { method: 'POST', body: JSON.stringify(oipRequest(b)) }).then((r) => r.json())));
    const after = s.stats();
    // Every caller gets its own rows back.
    answers.forEach((a, i) => {
      expect(a.outputs[0].shape).toEqual([rows, P]);
      expect(maxAbsDiff(rowsOf(a.outputs[0].data, P), referenceForward(batches[i]))).toBeLessThan(1e-5);
    });
    return { runs: after.runs - before.runs, requests: after.requests - before.requests, maxRows: after.maxRowsPerRun };
  }

  it('merges 16 concurrent requests into fewer session runs and splits the rows back', async () => {
    const s = await startServer({ port: 0, providers: ['cpu'], queueDelayMs: 25, maxBatchSize: 256 });
    try {
      const r = await burst(s, 16, 4);
      expect(r.requests).toBe(16);
      expect(r.runs).toBeLessThan(16);
      expect(r.runs).toBeLessThanOrEqual(4);
      expect(s.stats().maxRequestsPerRun).toBeGreaterThan(1);
      const stats = await (await fetch(`${s.url}/v2/models/avlm/stats`)).json();
      expect(stats.model_stats[0]).toMatchObject({ name: 'avlm', inference_count: 64, execution_count: r.runs, request_count: 16 });
    } finally {
      await s.close();
    }
  });

  it('never merges past maxBatchSize rows', async () => {
    const s = await startServer({ port: 0, providers: ['cpu'], queueDelayMs: 25, maxBatchSize: 8 });
    try {
      const r = await burst(s, 16, 3);
      expect(s.stats().maxRowsPerRun).toBeLessThanOrEqual(8);
      expect(r.runs).toBeGreaterThanOrEqual(8); // 48 rows, at most 2 requests (6 rows) per run
      expect(r.runs).toBeLessThan(16);
    } finally {
      await s.close();
    }
  });

  it('is off with queueDelayMs 0 (and with maxBatchSize 1): one run per request', async () => {
    for (const opts of [{ queueDelayMs: 0 }, { maxBatchSize: 1, queueDelayMs: 25 }]) {
      const s = await startServer({ port: 0, providers: ['cpu'], ...opts });
      try {
        const r = await burst(s, 16, 2);
        expect(r.runs).toBe(16);
      } finally {
        await s.close();
      }
    }
  });
});

describe('startup', () => {
  it('rejects when the port is taken', async () => {
    await expect(startServer({ port: server.port, providers: ['cpu'] })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('entry point', () => {
  it('prints the ready line with the provider, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', 'gpu-backend/server/main.ts'], {
      env: { ...process.env, INFERENCE_PORT: '0', INFERENCE_QUEUE_DELAY_MS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /inference server ready on (http:\/\/127\.0\.0\.1:\d+) \(provider: (tensorrt|cuda|cpu)(; (tensorrt|cuda) skipped: [^;)]+)*\)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
        setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000);
      });
      expect((await fetch(`${line}/v2/health/ready`)).status).toBe(200);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
