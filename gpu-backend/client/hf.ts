// Hugging Face Inference Endpoint transport, through @huggingface/inference's InferenceClient
// with `endpointUrl` (no Hub lookup). The endpoint runs a custom handler for the AVLM.
//
// Wire format (what the custom handler must speak):
//   POST {endpointUrl}
//   Content-Type: application/json         Authorization: Bearer <token>   (when a token is set)
//   {"inputs": {"audio": [[…16]], "visual": [[…16]], "text": [[…32]],
//               "modality_mask": [[a, v, t]], "policy_context": [[0 or 1]]}}          ← N rows each
//   → 200 application/json: [[s_0 … s_{P-1}], …]                                      ← N rows, POLICY_CODES order
//   errors: 4xx/5xx with {"error": "..."}; 503 while the endpoint scales up from zero.
//
// We call `featureExtraction`: it POSTs `{inputs, …}` as JSON to the endpoint URL unchanged and
// accepts a nested number array as the answer (the deprecated generic `request` would too, but
// logs a warning on every call). `retry_on_error: false` stops the library from retrying 503
// immediately and forever; we do bounded retries with backoff ourselves. The library has no
// timeout: every attempt gets an AbortSignal.

import { InferenceClient, InferenceClientProviderApiError, InferenceClientProviderOutputError } from '@huggingface/inference';
import { checkScores, classifyFetchError, inferChunked, withRetries, type RetryPolicy } from './common.ts';
import { InferenceError, retryableStatus, type BackendConfig, type InferenceBackend, type InferenceBatch, type InferOptions } from './types.ts';
import { DIMS } from '../interface.ts';

export class HfBackend implements InferenceBackend {
  readonly transport = 'hf' as const;
  private readonly client: InferenceClient;
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly maxRows: number;
  private readonly concurrency: number;
  private readonly policies: number | undefined;
  private readonly dims: { audio: number; visual: number; text: number };
  private readonly fetchFn: typeof fetch | undefined;

  constructor(config: Omit<BackendConfig, 'transport'>) {
    this.endpoint = config.url;
    this.client = new InferenceClient(config.token ?? '', { endpointUrl: config.url });
    this.timeoutMs = config.timeoutMs ?? 30_000;
    this.policy = { retries: config.retries ?? 3, backoffMs: config.backoffMs ?? 250, maxBackoffMs: config.maxBackoffMs ?? 4000 };
    this.maxRows = config.maxBatchRows ?? 256;
    this.concurrency = config.concurrency ?? 4;
    this.policies = config.policies;
    this.dims = config.dims ?? DIMS;
    this.fetchFn = config.fetch;
  }

  /** One zero row through the endpoint, single attempt: true when it answers with valid scores. */
  async ready(): Promise<boolean> {
    const row = (d: number) => [new Array<number>(d).fill(0)];
    try {
      await this.call({
        audio: row(this.dims.audio), visual: row(this.dims.visual), text: row(this.dims.text),
        modality_mask: [[1, 1, 1]], policy_context: [[0]],
      }, 1, AbortSignal.timeout(this.timeoutMs));
      return true;
    } catch {
      return false;
    }
  }

  infer(batch: InferenceBatch, options: InferOptions = {}): Promise<number[][]> {
    return inferChunked(batch, this.maxRows, this.concurrency, (chunk, rows) =>
      withRetries(this.policy, this.timeoutMs, options.signal, (signal) => this.call(chunk, rows, signal), (e, t) => this.classify(e, t)));
  }

  private async call(batch: InferenceBatch, rows: number, signal: AbortSignal): Promise<number[][]> {
    let out: unknown;
    try {
      out = await this.client.featureExtraction(
        // The custom handler takes the five tensors as `inputs` (the library's type says string).
        { inputs: batch as unknown as string },
        { signal, retry_on_error: false, ...(this.fetchFn ? { fetch: this.fetchFn } : {}) },
      );
    } catch (err) {
      throw this.classify(err, signal.aborted);
    }
    return checkScores(out, rows, this.policies, this.endpoint);
  }

  private classify(err: unknown, timedOut: boolean): InferenceError {
    if (err instanceof InferenceError) return err;
    if (err instanceof InferenceClientProviderApiError) {
      const status = err.httpResponse.status;
      return new InferenceError('http', `inference endpoint answered ${status}: ${err.message}`, { retryable: retryableStatus(status), status, cause: err });
    }
    if (err instanceof InferenceClientProviderOutputError) {
      return new InferenceError('malformed', `malformed response from ${this.endpoint}: ${err.message}`, { retryable: false, cause: err });
    }
    return classifyFetchError(err, timedOut);
  }
}
