// The one interface the Worker and scripts use to run the AVLM, whatever serves it.
// Runs inside Cloudflare Workers: fetch and AbortSignal only, no node: imports.

/** One batch of N rows; every field has N rows. */
export interface InferenceBatch {
  audio: number[][];
  visual: number[][];
  text: number[][];
  /** [N][3]: audio, visual, text presence (1 = present). */
  modality_mask: number[][];
  /** [N][1]: 1 = the policy's text is supplied. */
  policy_context: number[][];
}

export interface InferOptions {
  /** Aborts the call (no retry after an abort). */
  signal?: AbortSignal;
}

export interface InferenceBackend {
  readonly transport: 'oip' | 'hf';
  /** True when the model answers; never throws. */
  ready(): Promise<boolean>;
  /** Scores per row per policy ([N][P], POLICY_CODES order). Throws InferenceError. */
  infer(batch: InferenceBatch, options?: InferOptions): Promise<number[][]>;
}

export interface BackendConfig {
  transport: 'oip' | 'hf';
  /** OIP: the server base URL (http://host:8000). HF: the Inference Endpoint URL. */
  url: string;
  /** OIP model name (default 'avlm'); unused by HF (the endpoint is the model). */
  model?: string;
  /** Per-attempt timeout, ms (default 10000). */
  timeoutMs?: number;
  /** Bearer token (HF token, or a gateway's key in front of Triton/KServe). */
  token?: string;
  /** Retries after the first attempt, on network errors, timeouts, 429 and 5xx (default 3). */
  retries?: number;
  /** Backoff base, ms: attempt k waits uniform(0, min(maxBackoffMs, backoffMs·2^k)) (default 100). */
  backoffMs?: number;
  /** Backoff cap, ms (default 2000); also caps a server's Retry-After. */
  maxBackoffMs?: number;
  /** Rows per request; larger batches are split (Triton rejects batches above max_batch_size) (default 256). */
  maxBatchRows?: number;
  /** Concurrent requests when a batch is split (default 4). */
  concurrency?: number;
  /** Expected scores per row (default: the number of taxonomy policies). */
  policies?: number;
  /** Feature dims (default: the reference model's); HF `ready()` sends one zero row of these. */
  dims?: { audio: number; visual: number; text: number };
  /** fetch to use (default: global fetch), e.g. a Worker service binding's fetch. */
  fetch?: typeof fetch;
}

export type InferenceErrorCode =
  | 'network' // connection refused/reset, DNS
  | 'timeout' // no answer within timeoutMs
  | 'http' // non-2xx status (see status)
  | 'malformed' // a 2xx whose body is not the expected tensors
  | 'bad_input' // the batch we were asked to send is invalid (never sent)
  | 'aborted'; // the caller's signal fired

export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  /** Retrying later may succeed (network, timeout, 429, 5xx); false for 4xx, malformed, bad input. */
  readonly retryable: boolean;
  readonly status?: number;
  /** Attempts made before giving up. */
  attempts: number;
  constructor(code: InferenceErrorCode, message: string, opts: { retryable: boolean; status?: number; attempts?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InferenceError';
    this.code = code;
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.attempts = opts.attempts ?? 1;
  }
}

/** 429 and 5xx are worth retrying; other 4xx are not. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
