// Dynamic batching, Triton style: requests queue up; a batch is formed when the queued rows
// reach maxBatchSize or the oldest request has waited queueDelayMs, and runs as ONE model
// execution whose output rows are split back to each request. One execution at a time
// (onnxruntime-node runs on the main thread anyway), so under load the queue fills while
// the model is busy and the next batch is larger. maxBatchSize <= 1 or queueDelayMs <= 0
// disables merging: every request is its own execution.

export interface BatchStats {
  /** Model executions (session.run calls). */
  runs: number;
  /** Requests served. */
  requests: number;
  /** Rows (items) inferred. */
  rows: number;
  /** Largest number of rows in one execution. */
  maxRowsPerRun: number;
  /** Largest number of requests merged into one execution. */
  maxRequestsPerRun: number;
  /** Total time spent inside executions, ms. */
  runMs: number;
  failures: number;
}

interface Pending {
  rows: number;
  inputs: Record<string, Float32Array>;
  enqueued: number;
  resolve: (out: Record<string, Float32Array>) => void;
  reject: (err: unknown) => void;
}

/** Runs a merged batch: flat row-major inputs → flat row-major outputs (same row count). */
export type RunFn = (inputs: Record<string, Float32Array>, rows: number) => Promise<Record<string, Float32Array>>;

export class DynamicBatcher {
  readonly maxBatchSize: number;
  readonly queueDelayMs: number;
  readonly enabled: boolean;
  private readonly run: RunFn;
  private readonly widths: Record<string, number>;
  private readonly outWidths: Record<string, number>;
  private queue: Pending[] = [];
  private queuedRows = 0;
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly s: BatchStats = { runs: 0, requests: 0, rows: 0, maxRowsPerRun: 0, maxRequestsPerRun: 0, runMs: 0, failures: 0 };

  constructor(opts: { maxBatchSize: number; queueDelayMs: number; run: RunFn; inputWidths: Record<string, number>; outputWidths: Record<string, number> }) {
    this.maxBatchSize = Math.max(1, Math.floor(opts.maxBatchSize));
    this.queueDelayMs = Math.max(0, opts.queueDelayMs);
    this.enabled = this.maxBatchSize > 1 && this.queueDelayMs > 0;
    this.run = opts.run;
    this.widths = opts.inputWidths;
    this.outWidths = opts.outputWidths;
  }

  stats(): BatchStats {
    return { ...this.s };
  }

  submit(rows: number, inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, inputs, enqueued: performance.now(), resolve, reject });
      this.queuedRows += rows;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    if (!this.enabled || this.queuedRows >= this.maxBatchSize) {
      this.flush();
      return;
    }
    const waited = performance.now() - this.queue[0].enqueued;
    if (waited >= this.queueDelayMs) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.queueDelayMs - waited);
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch: Pending[] = [this.queue.shift()!];
    let rows = batch[0].rows;
    if (this.enabled) {
      while (this.queue.length && rows + this.queue[0].rows <= this.maxBatchSize) {
        const next = this.queue.shift()!;
        batch.push(next);
        rows += next.rows;
      }
    }
    this.queuedRows -= rows;
    this.busy = true;
    void this.execute(batch, rows).finally(() => {
      this.busy = false;
      this.schedule();
    });
  }

  private async execute(batch: Pending[], rows: number): Promise<void> {
    let merged: Record<string, Float32Array>;
    if (batch.length === 1) {
      merged = batch[0].inputs;
    } else {
      merged = {};
      for (const [name, width] of Object.entries(this.widths)) {
        const arr = new Float32Array(rows * width);
        let at = 0;
        for (const p of batch) {
          arr.set(p.inputs[name], at);
          at += p.rows * width;
        }
        merged[name] = arr;
      }
    }
    const t0 = performance.now();
    let out: Record<string, Float32Array>;
    try {
      out = await this.run(merged, rows);
    } catch (err) {
      this.s.failures += 1;
      for (const p of batch) p.reject(err);
      return;
    } finally {
      this.s.runs += 1;
      this.s.runMs += performance.now() - t0;
      this.s.requests += batch.length;
      this.s.rows += rows;
      this.s.maxRowsPerRun = Math.max(this.s.maxRowsPerRun, rows);
      this.s.maxRequestsPerRun = Math.max(this.s.maxRequestsPerRun, batch.length);
    }
    let at = 0;
    for (const p of batch) {
      const mine: Record<string, Float32Array> = {};
      for (const [name, width] of Object.entries(this.outWidths)) {
        mine[name] = out[name].slice(at * width, (at + p.rows) * width);
      }
      at += p.rows;
      p.resolve(mine);
    }
  }

  /** Rejects everything still queued (server shutdown). */
  drain(err: Error): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.queue.splice(0)) p.reject(err);
    this.queuedRows = 0;
  }
}
