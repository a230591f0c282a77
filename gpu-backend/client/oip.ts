// Open Inference Protocol (KServe v2 / Triton) REST transport over fetch.
//
// Request:  POST {url}/v2/models/{model}/infer
//   {"id": "...", "inputs": [{"name": "audio", "datatype": "FP32", "shape": [N, 16], "data": [flat row-major]}, …
//                            visual [N,16], text [N,32], modality_mask [N,3], policy_context [N,1]],
//    "outputs": [{"name": "scores"}]}
// Response: {"model_name": "avlm", "outputs": [{"name": "scores", "datatype": "FP32", "shape": [N, P], "data": [...]}]}
// Ready:    GET {url}/v2/models/{model}/ready → 200
//
// Works against the local server (gpu-backend/server), NVIDIA Triton and KServe.

import {
  checkScores, classifyFetchError, inferChunked, retryAfterMs, withRetries, type RetryPolicy,
} from './common.ts';
import { InferenceError, retryableStatus, type BackendConfig, type InferenceBackend, type InferenceBatch, type InferOptions } from './types.ts';
import { INPUT_NAMES, MODEL_NAME, OUTPUT_NAME } from '../interface.ts';

let seq = 0;

function flatten(rows: number[][]): number[] {
  const width = rows[0]?.length ?? 0;
  const out = new Array<number>(rows.length * width);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < width; j++) out[i * width + j] = rows[i][j];
  return out;
}

function flattenDeep(data: unknown, out: unknown[]): void {
  if (Array.isArray(data)) for (const v of data) flattenDeep(v, out);
  else out.push(data);
}

export class OipBackend implements InferenceBackend {
  readonly transport = 'oip' as const;
  private readonly base: string;
  private readonly model: string;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly maxRows: number;
  private readonly concurrency: number;
  private readonly policies: number | undefined;
  private readonly headers: Record<string, string>;
  private readonly fetchFn: typeof fetch;

  constructor(config: Omit<BackendConfig, 'transport'>) {
    this.base = config.url.replace(/\/+$/, '');
    this.model = config.model ?? MODEL_NAME;
    this.timeoutMs = config.timeoutMs ?? 10_000;
    this.policy = { retries: config.retries ?? 3, backoffMs: config.backoffMs ?? 100, maxBackoffMs: config.maxBackoffMs ?? 2000 };
    this.maxRows = config.maxBatchRows ?? 256;
    this.concurrency = config.concurrency ?? 4;
    this.policies = config.policies;
    this.headers = { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) };
    this.fetchFn = config.fetch ?? ((input, init) => fetch(input, init));
  }

  private url(suffix: string): string {
    return `${this.base}/v2/models/${encodeURIComponent(this.model)}${suffix}`;
  }

  async ready(): Promise<boolean> {
    try {
      const res = await this.fetchFn(this.url('/ready'), { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  infer(batch: InferenceBatch, options: InferOptions = {}): Promise<number[][]> {
    return inferChunked(batch, this.maxRows, this.concurrency, (chunk, rows) => this.inferOnce(chunk, rows, options.signal));
  }

  private inferOnce(batch: InferenceBatch, rows: number, callerSignal?: AbortSignal): Promise<number[][]> {
    const body = JSON.stringify({
      id: `avlm-${++seq}`,
      inputs: INPUT_NAMES.map((name) => ({
        name,
        datatype: 'FP32',
        shape: [rows, batch[name][0].length],
        data: flatten(batch[name]),
      })),
      outputs: [{ name: OUTPUT_NAME }],
    });
    const url = this.url('/infer');
    return withRetries(this.policy, this.timeoutMs, callerSignal, async (signal, hint) => {
      const res = await this.fetchFn(url, { method: 'POST', headers: this.headers, body, signal });
      const text = await res.text();
      if (!res.ok) {
        let message = text.slice(0, 500);
        try {
          const j = JSON.parse(text);
          if (typeof j?.error === 'string') message = j.error;
          else if (typeof j?.error?.message === 'string') message = j.error.message;
        } catch { /* not JSON: keep the text */ }
        hint.retryAfterMs = retryAfterMs(res.headers.get('retry-after'));
        throw new InferenceError('http', `inference server answered ${res.status}: ${message}`, { retryable: retryableStatus(res.status), status: res.status });
      }
      return this.parse(text, rows);
    }, classifyFetchError);
  }

  private parse(text: string, rows: number): number[][] {
    const bad = (why: string) => new InferenceError('malformed', `malformed response from ${this.base}: ${why}`, { retryable: false });
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      throw bad('body is not JSON');
    }
    const outputs = (j as { outputs?: unknown })?.outputs;
    if (!Array.isArray(outputs)) throw bad("no 'outputs' array");
    const out = outputs.find((o) => o && typeof o === 'object' && (o as { name?: unknown }).name === OUTPUT_NAME) as
      | { datatype?: unknown; shape?: unknown; data?: unknown }
      | undefined;
    if (!out) throw bad(`no '${OUTPUT_NAME}' output`);
    if (out.datatype !== 'FP32') throw bad(`'${OUTPUT_NAME}' datatype ${JSON.stringify(out.datatype)}, expected FP32`);
    const shape = out.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(`'${OUTPUT_NAME}' shape ${JSON.stringify(shape)} is not [rows, policies]`);
    }
    const [n, p] = shape as number[];
    if (n !== rows) throw bad(`'${OUTPUT_NAME}' has ${n} rows for ${rows} inputs`);
    if (this.policies !== undefined && p !== this.policies) throw bad(`'${OUTPUT_NAME}' has ${p} columns, expected ${this.policies} policies`);
    if (!Array.isArray(out.data)) throw bad(`'${OUTPUT_NAME}' has no data array`);
    const flat: unknown[] = [];
    flattenDeep(out.data, flat);
    if (flat.length !== n * p) throw bad(`'${OUTPUT_NAME}' has ${flat.length} values for shape [${n}, ${p}]`);
    const matrix: unknown[][] = [];
    for (let i = 0; i < n; i++) matrix.push(flat.slice(i * p, (i + 1) * p));
    return checkScores(matrix, rows, this.policies, this.base);
  }
}
