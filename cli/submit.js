// `avlm-diag submit`: checks and measures the file, POSTs it as NDJSON with its content-length,
// retries network errors and 5xx with backoff under the same slice_id (the server is
// idempotent on it), waits while the slice is processing or probing, and returns its summary.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { bodyPieces, defaultSliceId, headerLine, measure } from './body.js';
import { RetryableError, ServerError, UsageError } from './errors.js';
import { postStream } from './post.js';
import { readEntries } from './readers/index.js';
import { progress } from './progress.js';
import { sleep, withRetries } from './retry.js';

/**
 * @typedef {{ file: string, region: string, model: import('./body.js').Model, sliceId?: string,
 *   url: string, key: string, api: import('../client/index.js').ApiClient,
 *   retries: number, backoffMs: number, pollMs: number, waitS: number, quiet: boolean, log: (s: string) => void }} SubmitOptions
 * @typedef {import('../client/schema.d.ts').components['schemas']['SliceSummary']} SliceSummary
 */

const secs = (/** @type {number} */ t) => ((performance.now() - t) / 1000).toFixed(1);
/** @param {string} s */
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
/** @param {string} text */
const parseError = (text) => { try { return JSON.parse(text).error; } catch { return { code: 'error', message: text.slice(0, 300) }; } };

/** @param {SubmitOptions} o @returns {Promise<SliceSummary>} */
export async function submit(o) {
  const t0 = performance.now();
  const check = progress({ label: 'checking', total: 0, quiet: o.quiet });
  const m = await measure(o.file, check.tick);
  check.done();
  o.log(`checked ${m.items.toLocaleString('en-US')} rows in ${secs(t0)} s`);
  if (!m.items) throw new UsageError(`${o.file}: no items`);
  const fileSliceId = typeof m.header.slice_id === 'string' ? m.header.slice_id : undefined;
  const sliceId = o.sliceId ?? fileSliceId ?? defaultSliceId(basename(o.file), sha256(JSON.stringify([o.region, o.model, m.sha256])));
  const header = headerLine(sliceId, o.model);
  const length = Buffer.byteLength(header) + m.bytes;
  const url = `${o.url.replace(/\/$/, '')}/v1/regions/${encodeURIComponent(o.region)}/slices`;
  o.log(`submitting ${m.items.toLocaleString('en-US')} items (${(length / 1e6).toFixed(1)} MB) to ${o.region} as slice ${sliceId}`);

  const t1 = performance.now();
  const answer = await withRetries(async (attempt) => {
    if (attempt > 1) o.log(`attempt ${attempt} (same slice_id ${sliceId})`);
    const bar = progress({ label: 'sending', total: m.items, quiet: o.quiet });
    const r = await postStream(url, { authorization: `Bearer ${o.key}`, 'content-type': 'application/x-ndjson' }, bodyPieces(o.file, header, bar.tick), length);
    bar.done();
    if (r.status >= 500) throw new RetryableError(`server answered ${r.status}: ${parseError(r.text)?.message ?? ''}`, r.status);
    if (r.status >= 400) throw new ServerError(r.status, parseError(r.text));
    return { status: r.status, body: JSON.parse(r.text) };
  }, o).catch(async (e) => { throw e instanceof ServerError ? await inFile(e, o.file) : e; });

  o.log(`sent in ${secs(t1)} s: ${answer.status} ${answer.body.status}`);
  if (answer.status === 202 || answer.body.status === 'processing' || answer.body.status === 'probing') {
    o.log(`${answer.status}: the server is ${answer.body.status ?? 'processing'} the slice; waiting`);
    const t2 = performance.now();
    const done = await waitForSlice(o, sliceId);
    o.log(`${done.status} after ${secs(t2)} s of waiting`);
    return done;
  }
  return answer.body;
}

/**
 * A server error about body line L names the item from the file it came from (line 1 is the
 * header, so item L − 1): e.g. "(items.csv row 41 (line 42))".
 * @param {ServerError} e @param {string} file
 */
async function inFile(e, file) {
  const details = /** @type {any} */ (e.error)?.details;
  const line = typeof details?.line === 'number' ? details.line : Number(/^line (\d+):/.exec(e.error?.message ?? '')?.[1] ?? 0);
  if (line < 2) return e;
  let k = 0;
  for await (const entry of readEntries(file)) {
    if (entry.item && ++k === line - 1) { e.message += ` (${basename(file)} ${entry.where})`; break; }
  }
  return e;
}

/**
 * Polls the slice until it is complete or failed (failed: a ServerError with its reason).
 * @param {Pick<SubmitOptions, 'api' | 'region' | 'pollMs' | 'waitS' | 'retries' | 'backoffMs' | 'log'>} o @param {string} sliceId
 * @returns {Promise<SliceSummary>}
 */
export async function waitForSlice(o, sliceId) {
  let lastStatus = '';
  const until = Date.now() + o.waitS * 1000;
  for (;;) {
    if (Date.now() > until) throw new RetryableError(`slice ${sliceId} still ${lastStatus} after ${o.waitS} s; see later with: avlm-diag slice --region ${o.region} ${sliceId} --wait`);
    const s = await getSlice(o, sliceId);
    if (s.status === 'failed') throw new ServerError(422, { code: 'slice_failed', message: `slice ${sliceId} failed: ${s.error ?? 'no reason given'}` });
    if (s.status === 'complete') return s;
    if (s.status !== lastStatus) { o.log(`slice ${sliceId}: ${s.status}`); lastStatus = s.status; }
    await sleep(o.pollMs);
  }
}

/**
 * @param {Pick<SubmitOptions, 'api' | 'region' | 'retries' | 'backoffMs' | 'log'>} o @param {string} sliceId
 * @returns {Promise<SliceSummary>}
 */
export function getSlice(o, sliceId) {
  return withRetries(async () => {
    const { data, error, response } = await o.api.GET('/v1/regions/{region}/slices/{slice_id}', { params: { path: { region: o.region, slice_id: sliceId } } })
      .catch((e) => { throw new RetryableError(e.cause?.message ?? e.message); });
    if (data) return data;
    if (response.status >= 500) throw new RetryableError(`server answered ${response.status}`, response.status);
    throw new ServerError(response.status, /** @type {any} */ (error)?.error);
  }, o);
}
