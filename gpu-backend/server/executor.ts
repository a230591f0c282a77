// Where the model runs. onnxruntime-node's session.run is synchronous on the calling thread
// (its promise only defers the call with setImmediate), so a model run on the main thread
// blocks the HTTP event loop for its whole duration: requests that arrive meanwhile are not
// even read until it ends, and the dynamic batcher sees them late (its queue delay then starts
// after the run instead of during it). Like a Triton model instance, the default executor
// therefore runs the session on its own thread (a worker_thread): the event loop keeps
// reading, decoding and queueing requests while the model computes, and the next batch is
// ready when the run ends. `inline` keeps the session on the main thread (cheaper per run by
// a thread hop, ~30 µs: only worth it for a model that costs nothing).

import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { SkippedProvider } from './providers.ts';
import { loadSession, type TrtSettings } from './session.ts';

export type ExecutorKind = 'worker' | 'inline';

export interface TensorMeta {
  name: string;
  /** ONNX element type ('float32', …), or undefined for a non-tensor value. */
  type?: string;
  shape: (number | string)[];
}

export interface Executor {
  kind: ExecutorKind;
  provider: string;
  /** Providers tried before `provider`, each with why it failed to load. */
  skipped: SkippedProvider[];
  fallbackReason?: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  /** One session.run over flat row-major inputs [rows, width] → flat outputs. */
  run(inputs: Record<string, Float32Array>, rows: number): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

export interface ExecutorOptions {
  modelPath: string;
  providers: string[];
  threads?: number;
  kind?: ExecutorKind;
  /** TensorRT options (used when 'tensorrt' is among the providers). */
  trt?: TrtSettings;
}

/** What the worker reports once its session is loaded. */
export interface LoadedMessage {
  type: 'loaded';
  provider: string;
  skipped: SkippedProvider[];
  fallbackReason?: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
}

export function metaOf(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, shape: [] }));
}

export function parseExecutor(value: string | undefined): ExecutorKind {
  const v = (value ?? 'worker').trim().toLowerCase() || 'worker';
  if (v !== 'worker' && v !== 'inline') throw new Error(`INFERENCE_EXECUTOR must be 'worker' or 'inline', got ${JSON.stringify(value)}`);
  return v;
}

/** Runs one session.run on an already loaded session (shared by both executors). */
export async function runSession(session: ort.InferenceSession, widths: Map<string, number>, inputs: Record<string, Float32Array>, rows: number): Promise<Record<string, Float32Array>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, width] of widths) feeds[name] = new ort.Tensor('float32', inputs[name], [rows, width]);
  const result = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(result)) out[name] = tensor.data as Float32Array;
  return out;
}

/** Input name → width (second dimension), from the model's metadata. */
export function inputWidths(inputs: TensorMeta[]): Map<string, number> {
  return new Map(inputs.map((m) => [m.name, typeof m.shape[1] === 'number' ? m.shape[1] : 0]));
}

export async function createExecutor(opts: ExecutorOptions): Promise<Executor> {
  return (opts.kind ?? 'worker') === 'inline' ? inlineExecutor(opts) : workerExecutor(opts);
}

async function inlineExecutor(opts: ExecutorOptions): Promise<Executor> {
  const loaded = await loadSession(opts.modelPath, opts.providers, opts.threads, opts.trt);
  const inputs = metaOf(loaded.session.inputMetadata);
  const widths = inputWidths(inputs);
  return {
    kind: 'inline',
    provider: loaded.provider,
    skipped: loaded.skipped,
    fallbackReason: loaded.fallbackReason,
    inputs,
    outputs: metaOf(loaded.session.outputMetadata),
    run: (feeds, rows) => runSession(loaded.session, widths, feeds, rows),
    release: () => loaded.session.release(),
  };
}

async function workerExecutor(opts: ExecutorOptions): Promise<Executor> {
  const worker = new Worker(new URL('./session-worker.ts', import.meta.url), {
    workerData: { modelPath: opts.modelPath, providers: opts.providers, threads: opts.threads, trt: opts.trt },
    // Type stripping: inherited from the parent's flags (Node ≥ 22.18 has it on by default).
    execArgv: process.execArgv,
  });
  const pending = new Map<number, { resolve: (o: Record<string, Float32Array>) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const fail = (err: Error) => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  // (Only our own listeners are removed afterwards: Worker keeps internal ones, e.g. the
  // 'newListener' hook that starts its message port.)
  let onMessage!: (m: LoadedMessage | { type: 'load-error'; message: string }) => void;
  let onError!: (err: Error) => void;
  let onExit!: (code: number) => void;
  const loaded = await new Promise<LoadedMessage>((resolve, reject) => {
    onMessage = (m) => (m.type === 'loaded' ? resolve(m) : reject(new Error(m.message)));
    onError = reject;
    onExit = (code) => reject(new Error(`the model worker exited (${code}) while loading`));
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  }).catch(async (err) => {
    await worker.terminate();
    throw err;
  }).finally(() => {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
  });

  worker.on('message', (m: { type: 'result'; id: number; outputs: Record<string, Float32Array> } | { type: 'error'; id: number; message: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.outputs);
    else p.reject(new Error(m.message));
  });
  worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => fail(new Error(`the model worker exited (${code})`)));

  return {
    kind: 'worker',
    provider: loaded.provider,
    skipped: loaded.skipped,
    fallbackReason: loaded.fallbackReason,
    inputs: loaded.inputs,
    outputs: loaded.outputs,
    run(inputs, rows) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Structured clone copies the (small) inputs: no transfer, so request buffers that
        // share a pooled ArrayBuffer are never detached.
        worker.postMessage({ type: 'run', id, rows, inputs });
      });
    },
    async release() {
      if (dead) return;
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage({ type: 'release' });
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
    },
  };
}
