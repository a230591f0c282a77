// Local inference server: the reference AVLM on onnxruntime-node behind the Open Inference
// Protocol REST API (KServe v2 / Triton), with dynamic batching.
//
//   GET  /v2/health/live | /v2/health/ready
//   GET  /v2                                   server metadata (+ execution_provider)
//   GET  /v2/models/{m}[/versions/{v}]         model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready   model readiness
//   POST /v2/models/{m}[/versions/{v}]/infer   inference (JSON tensors, or the binary tensor extension)
//   GET  /v2/models/{m}[/versions/{v}]/stats   Triton-style statistics (execution_count = session runs)
//
// and, at the root, the Hugging Face Inference Endpoint custom-handler format of client/hf.ts:
//   GET  /                                     health
//   POST /   {"inputs": {"audio": [[…]], …}} → [[scores of row 0], …]
//
// Errors are {"error": "..."}: 400 malformed tensors, 404 unknown model/version/route,
// 405 wrong method, 413 body too large, 500 model failure, 503 shutting down.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DynamicBatcher, type BatchStats } from './batcher.ts';
import { createExecutor, type ExecutorKind, type TensorMeta } from './executor.ts';
import { DEFAULT_PROVIDERS, describeProviders, type SkippedProvider } from './providers.ts';
import type { TrtSettings } from './session.ts';
import { decodeHfRequest, decodeInferRequest, encodeInferResponse, HEADER_LENGTH, TensorError, type TensorSpec } from './tensors.ts';
import { MAX_BATCH_SIZE, MAX_QUEUE_DELAY_US, modelPath as defaultModelPath } from '../model/repository.ts';
import { MODEL_NAME, MODEL_VERSION } from '../interface.ts';

export const SERVER_NAME = 'avlm-diag-inference';
export const SERVER_VERSION = '1.0.0';
/** Extensions of the Open Inference Protocol this server implements. */
export const EXTENSIONS = ['binary_tensor_data', 'statistics'];
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ServerOptions {
  /** 0 = an ephemeral port. Default 8000 (like Triton). */
  port?: number;
  host?: string;
  modelPath?: string;
  modelName?: string;
  modelVersion?: string;
  /** Most rows merged into one execution (default 256). */
  maxBatchSize?: number;
  /** How long a request may wait for others to join its batch (default 2 ms; 0 disables batching). */
  queueDelayMs?: number;
  /** Execution providers in order of preference (default ['tensorrt', 'cuda', 'cpu']). */
  providers?: string[];
  /** TensorRT options (FP16, engine cache dir, opt batch); its profile's max batch is maxBatchSize. */
  trt?: Omit<TrtSettings, 'maxBatch'>;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /**
   * Where session.run executes: 'worker' (default) = its own thread, so HTTP and batching go on
   * during a run (like a Triton model instance); 'inline' = the main thread (see executor.ts).
   */
  executor?: ExecutorKind;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Execution provider the model runs on: 'tensorrt', 'cuda' or 'cpu'. */
  provider: string;
  /** Providers tried before it, each with why it failed to load. */
  skipped: SkippedProvider[];
  /** The same in one line, if any was skipped. */
  fallbackReason?: string;
  /** "provider: cpu; tensorrt skipped: …; cuda skipped: …" (the start-up line's tail). */
  providerSummary: string;
  /** Where session.run executes. */
  executor: ExecutorKind;
  /** Batching statistics (runs = session.run calls). */
  stats(): BatchStats;
  close(): Promise<void>;
}

interface ModelInfo {
  name: string;
  version: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function widthOf(meta: TensorMeta): number {
  if (meta.type !== 'float32') throw new Error(`${meta.name}: the server serves FP32 tensors only`);
  const w = meta.shape[1];
  if (meta.shape.length !== 2 || typeof w !== 'number') throw new Error(`${meta.name}: expected shape [batch, d], got ${JSON.stringify(meta.shape)}`);
  return w;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  const modelPath = opts.modelPath ?? defaultModelPath();
  const maxBatchSize = opts.maxBatchSize ?? MAX_BATCH_SIZE;
  const loaded = await createExecutor({
    modelPath, providers: opts.providers ?? [...DEFAULT_PROVIDERS], threads: opts.threads, kind: opts.executor,
    trt: { ...opts.trt, maxBatch: Math.max(1, maxBatchSize) },
  });
  if (loaded.fallbackReason) log(`execution provider fallback to ${loaded.provider} (${loaded.fallbackReason})`);

  let model: ModelInfo;
  let labels: string[] | undefined;
  try {
    model = {
      name: opts.modelName ?? MODEL_NAME,
      version: opts.modelVersion ?? MODEL_VERSION,
      inputs: loaded.inputs.map((m) => ({ name: m.name, width: widthOf(m) })),
      outputs: loaded.outputs.map((m) => ({ name: m.name, width: widthOf(m) })),
    };
    // Triton layout: <model>/labels.txt beside <model>/<version>/model.onnx names the score columns.
    const labelsFile = join(dirname(dirname(modelPath)), 'labels.txt');
    labels = existsSync(labelsFile) ? readFileSync(labelsFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : undefined;
    if (labels && labels.length !== model.outputs[0]?.width) {
      throw new Error(`${labelsFile} names ${labels.length} labels, the model's ${model.outputs[0]?.name} has ${model.outputs[0]?.width} columns`);
    }
  } catch (err) {
    await loaded.release();
    throw err;
  }
  const outputNames = model.outputs.map((o) => o.name);

  const batcher = new DynamicBatcher({
    maxBatchSize,
    queueDelayMs: opts.queueDelayMs ?? MAX_QUEUE_DELAY_US / 1000,
    inputWidths: Object.fromEntries(model.inputs.map((i) => [i.name, i.width])),
    outputWidths: Object.fromEntries(model.outputs.map((o) => [o.name, o.width])),
    run: (inputs, rows) => loaded.run(inputs, rows),
  });

  let closing = false;
  const tensorMeta = (t: TensorSpec) => ({ name: t.name, datatype: 'FP32', shape: [-1, t.width] });
  const modelMetadata = () => ({
    name: model.name,
    versions: [model.version],
    platform: 'onnxruntime_onnx',
    inputs: model.inputs.map(tensorMeta),
    outputs: model.outputs.map(tensorMeta),
    execution_provider: loaded.provider,
    execution_providers_skipped: loaded.skipped,
    max_batch_size: batcher.maxBatchSize,
    // The policy of each score column (labels.txt), so a client can check the order.
    ...(labels ? { labels } : {}),
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (err instanceof TensorError) {
        if (!res.headersSent && !res.destroyed) send(res, err.status, { error: err.message });
        return;
      }
      log(`request failed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/') {
      if (method === 'GET' || method === 'HEAD') return send(res, closing ? 503 : 200, { status: closing ? 'shutting down' : 'ok' });
      if (method !== 'POST') return send(res, 405, { error: `use GET or POST for /` }, { allow: 'GET, POST' });
      if (closing) return send(res, 503, { error: 'server is shutting down' });
      const decoded = decodeHfRequest(await readBody(req), model.inputs);
      const out = await infer(decoded.rows, decoded.inputs, res);
      if (!out) return;
      const o = model.outputs[0];
      const data = out[o.name];
      const rows: number[][] = [];
      for (let i = 0; i < decoded.rows; i++) rows.push(Array.from(data.subarray(i * o.width, (i + 1) * o.width)));
      return send(res, 200, rows);
    }
    if (path === '/v2/health/live') return get(req, res, () => send(res, 200, { live: true }));
    if (path === '/v2/health/ready') {
      return get(req, res, () => (closing ? send(res, 503, { ready: false }) : send(res, 200, { ready: true })));
    }
    if (path === '/v2') {
      return get(req, res, () =>
        send(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS, execution_provider: loaded.provider, execution_providers_skipped: loaded.skipped }));
    }
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|stats))?$/.exec(path);
    if (!m) return send(res, 404, { error: `no route for ${method} ${path}` });
    const name = decodeURIComponent(m[1]);
    const version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const action = m[3];
    if (name !== model.name) {
      await drainBody(req);
      return send(res, 404, { error: `model '${name}' not found` });
    }
    if (version !== undefined && version !== model.version) {
      await drainBody(req);
      return send(res, 404, { error: `model '${name}' has no version '${version}' (available: ${model.version})` });
    }
    if (action === undefined) return get(req, res, () => send(res, 200, modelMetadata()));
    if (action === 'ready') return get(req, res, () => send(res, closing ? 503 : 200, { name: model.name, ready: !closing }));
    if (action === 'stats') {
      return get(req, res, () => {
        const s = batcher.stats();
        send(res, 200, {
          model_stats: [{
            name: model.name,
            version: model.version,
            inference_count: s.rows,
            execution_count: s.runs,
            request_count: s.requests,
            max_rows_per_execution: s.maxRowsPerRun,
            max_requests_per_execution: s.maxRequestsPerRun,
            failure_count: s.failures,
          }],
        });
      });
    }
    // infer
    if (method !== 'POST') {
      await drainBody(req);
      return send(res, 405, { error: `use POST for ${path}` }, { allow: 'POST' });
    }
    if (closing) return send(res, 503, { error: 'server is shutting down' });
    const body = await readBody(req);
    const headerLength = req.headers[HEADER_LENGTH];
    const decoded = decodeInferRequest(body, Array.isArray(headerLength) ? headerLength[0] : headerLength, model.inputs, outputNames);
    const out = await infer(decoded.rows, decoded.inputs, res);
    if (!out) return;
    const widths = Object.fromEntries(model.outputs.map((o) => [o.name, o.width]));
    const enc = encodeInferResponse(
      { model_name: model.name, model_version: model.version, id: decoded.id },
      decoded.outputs.map((o) => ({ name: o.name, binary: o.binary, shape: [decoded.rows, widths[o.name]], data: out[o.name] })),
    );
    res.writeHead(200, { ...enc.headers, 'content-length': String(enc.body.length) });
    res.end(enc.body);
  }

  /** Runs through the batcher; on failure answers 500 (503 when closing) and returns undefined. */
  async function infer(rows: number, inputs: Record<string, Float32Array>, res: ServerResponse): Promise<Record<string, Float32Array> | undefined> {
    try {
      return await batcher.submit(rows, inputs);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      log(`inference failed: ${msg}`);
      send(res, closing ? 503 : 500, { error: `inference failed: ${msg}` });
      return undefined;
    }
  }

  function get(req: IncomingMessage, res: ServerResponse, fn: () => void): Promise<void> | void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return drainBody(req).then(() => send(res, 405, { error: `use GET for ${req.url}` }, { allow: 'GET' }));
    }
    fn();
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8000, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await loaded.release();
    throw err; // e.g. EADDRINUSE
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    provider: loaded.provider,
    skipped: loaded.skipped,
    fallbackReason: loaded.fallbackReason,
    providerSummary: describeProviders(loaded.provider, loaded.skipped),
    executor: loaded.kind,
    stats: () => batcher.stats(),
    close: async () => {
      if (closing) return;
      closing = true;
      batcher.drain(new Error('server is shutting down'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await loaded.release();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new TensorError(`request body exceeds ${MAX_BODY_BYTES} bytes`, 413));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new TensorError(`request body exceeds ${MAX_BODY_BYTES} bytes`, 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drainBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}
