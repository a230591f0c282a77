// Slice submission (SPEC §8 POST /v1/regions/{region}/slices).
// Small bodies are validated, diagnosed and committed within the request (201).
// Large NDJSON bodies of known length up to STREAM_INGEST_BYTES are diagnosed and stored while
// they stream, still within the request (stream.ts, 201). Larger ones, or of unknown length, are
// validated while they stream into R2 (bad input still gets its 4xx and nothing is kept), then
// diagnosed by the queue consumer (202, status on GET).
import type { Bindings } from '../env.ts';
import { ApiError, badRequest } from '../lib/errors.ts';
import { sha256Hex, toHex } from '../lib/crypto.ts';
import { drainChunks } from '../lib/drain.ts';
import { chunkReader, readLineBatches, readLines, type ByteSource } from './lines.ts';
import { submitStreamed } from './stream.ts';
import { ItemValidator, parseJsonLine, validateHeader } from './validate.ts';
import { claimSlice, failSlice, STREAM_LEASE_MS, type Claim } from './claim.ts';
import { AlreadyCommitted } from './commit.ts';
import { publishSlice, type OnPublished } from './publish.ts';
import { bucketCount } from '../store/items/writer.ts';
import { sliceByPk, summaryBody, type SliceSummaryBody } from '../store/slices.ts';
import { assertRegion } from '../store/regions.ts';
import { featureDims } from '../lib/feature-dims.ts';
import type { FeatureDims } from '../../gpu-backend/client/index.ts';
import type { SliceHeader } from '../schemas/item.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

export type SubmitResult =
  | { status: 201 | 200; body: SliceSummaryBody }
  | { status: 202; body: { slice_id: string; status: string } };

type Format = 'json' | 'ndjson';

export function formatOf(contentType: string | undefined): Format {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === 'application/json') return 'json';
  if (ct === 'application/x-ndjson' || ct === 'application/ndjson' || ct === 'application/jsonl') return 'ndjson';
  throw new ApiError(415, 'unsupported_media_type', `content-type: expected application/json or application/x-ndjson, got '${ct || '(none)'}'`, { field: 'content-type' });
}

const limits = (env: Bindings) => ({
  asyncBytes: Number(env.ASYNC_INGEST_BYTES ?? 4_000_000),
  streamBytes: Number(env.STREAM_INGEST_BYTES ?? 64_000_000),
  streamLeaseMs: Number(env.STREAM_LEASE_SECONDS ?? STREAM_LEASE_MS / 1000) * 1000,
  maxBytes: Number(env.MAX_SLICE_BYTES ?? 500_000_000),
  // A JSON document must be parsed whole: larger slices go as NDJSON.
  maxJsonBytes: 32_000_000,
});

async function readCapped(body: ReadableStream<Uint8Array>, cap: number, what: string): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > cap) {
      await drainChunks(async () => (await reader.read()).value, () => reader.cancel()); // lib/drain.ts
      throw new ApiError(413, 'payload_too_large', `body: larger than ${cap} bytes${what}`, { field: 'body' });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}

interface Parsed { header: SliceHeader; items: Array<{ item: EvalItem; json: string }> }

/** Strict, as NDJSON lines are (lines.ts): a lenient decoder would store U+FFFD for bad bytes. */
function decodeJson(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'body: not valid UTF-8', { field: 'body' });
  }
}

function parseJsonBody(text: string, dims: FeatureDims): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `body: malformed JSON (${(e as Error).message})`, { field: 'body' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw badRequest('body: expected a JSON object {slice_id, model, items}', { field: 'body' });
  const header = validateHeader(doc);
  const raw = (doc as { items?: unknown }).items;
  if (!Array.isArray(raw)) throw new ApiError(400, 'invalid_slice', 'items: required (an array of eval items)', { field: 'items' });
  const v = new ItemValidator(dims);
  const items = raw.map((r, i) => ({ item: v.accept(r, { prefix: `items[${i}]` }), json: JSON.stringify(r) }));
  return { header, items };
}

async function parseNdjsonBody(bytes: Uint8Array, dims: FeatureDims): Promise<Parsed> {
  let header: SliceHeader | undefined;
  const v = new ItemValidator(dims);
  const items: Parsed['items'] = [];
  for await (const line of readLines(new Blob([bytes]).stream())) {
    const value = parseJsonLine(line.text, line.no);
    if (!header) header = validateHeader(value, line.no);
    else items.push({ item: v.accept(value, { line: line.no }), json: line.text });
  }
  if (!header) throw badRequest('line 1: expected the slice header {slice_id, model}', { line: 1, field: 'slice_id' });
  return { header, items };
}

function claimResponse(claim: Exclude<Claim, { kind: 'owned' }>): SubmitResult {
  if (claim.kind === 'done') return { status: 200, body: summaryBody(claim.row) }; // as committed: a retry sees the original answer
  return { status: 202, body: { slice_id: claim.row.slice_id, status: claim.row.status } };
}

/** `onPublished`: runs once the slice is committed (see publish.ts). */
export async function submitSlice(env: Bindings, region: string, req: Request, onPublished?: OnPublished): Promise<SubmitResult> {
  const format = formatOf(req.headers.get('content-type') ?? undefined);
  await assertRegion(env.DB, region);
  const lim = limits(env);
  const declared = req.headers.get('content-length');
  const length = declared === null ? null : Number(declared);
  if (length !== null && length > lim.maxBytes) {
    throw new ApiError(413, 'payload_too_large', `body: ${length} bytes is larger than the ${lim.maxBytes}-byte limit`, { field: 'body' });
  }
  if (!req.body) throw badRequest('body: required', { field: 'body' });
  // Before any claim or body read: every path validates feature lengths against these.
  const dims = await featureDims(env);
  if (format === 'ndjson' && (length === null || length > lim.asyncBytes)) {
    const viaQueue = (source: ByteSource) => submitAsync(env, region, source, lim.maxBytes, lim.streamLeaseMs, dims);
    if (length !== null && length <= lim.streamBytes) return submitStreamed(env, region, req.body, length, { ...lim, dims, onPublished }, viaQueue);
    return viaQueue(req.body);
  }
  const cap = format === 'json' ? Math.min(lim.maxJsonBytes, lim.maxBytes) : lim.asyncBytes;
  const bytes = await readCapped(req.body, cap, format === 'json' ? ' for a JSON slice: send large slices as NDJSON' : '');
  const parsed = format === 'json' ? parseJsonBody(decodeJson(bytes), dims) : await parseNdjsonBody(bytes, dims);
  const hash = await sha256Hex(bytes);
  const claim = await claimSlice(env.DB, { region, header: parsed.header, hash, buckets: bucketCount(bytes.byteLength) });
  if (claim.kind !== 'owned') return claimResponse(claim);
  try {
    const body = await publishSlice(env, { ...claim, region, sliceId: parsed.header.slice_id, model: parsed.header.model }, async (proc) => {
      for (const { item, json } of parsed.items) await proc.add(item, json);
    }, { onPublished });
    return { status: 201, body: body! };
  } catch (e) {
    if (e instanceof AlreadyCommitted) return { status: 200, body: summaryBody((await sliceByPk(env.DB, claim.pk))!) };
    await failSlice(env.DB, claim.pk, claim.owner, `ingest failed: ${(e as Error).message}`);
    throw e;
  }
}

/** R2 multipart parts must be ≥ 5 MiB (but the last). */
const PART_SIZE = 8 * 1024 * 1024;

async function submitAsync(env: Bindings, region: string, body: ByteSource, maxBytes: number, streamLeaseMs: number, dims: FeatureDims): Promise<SubmitResult> {
  const key = `incoming/${region}/${crypto.randomUUID()}.ndjson`;
  const upload = await env.SLICES.createMultipartUpload(key, { httpMetadata: { contentType: 'application/x-ndjson' } });
  const digest = new crypto.DigestStream('SHA-256');
  const digestWriter = digest.getWriter();
  const uploaded: R2UploadedPart[] = [];
  const partSize = Math.max(5 * 1024 * 1024, Number(env.R2_PART_BYTES ?? PART_SIZE));
  let buf: Uint8Array[] = [];
  let bufBytes = 0;
  let total = 0;
  // R2 wants every part but the last of one size (and the last no larger): cut exact parts.
  const flushPart = async (limit = Infinity) => {
    if (bufBytes === 0) return;
    const all = new Uint8Array(bufBytes);
    let o = 0;
    for (const c of buf) { all.set(c, o); o += c.byteLength; }
    const size = Math.min(bufBytes, limit);
    buf = size === bufBytes ? [] : [all.slice(size)];
    bufBytes -= size;
    uploaded.push(await upload.uploadPart(uploaded.length + 1, size === all.byteLength ? all : all.subarray(0, size)));
  };
  let header: SliceHeader | undefined;
  const v = new ItemValidator(dims);
  const next = body instanceof ReadableStream ? chunkReader(body) : body;
  try {
    for await (const batch of readLineBatches(next, async (chunk) => {
      total += chunk.byteLength;
      if (total > maxBytes) throw new ApiError(413, 'payload_too_large', `body: larger than ${maxBytes} bytes`, { field: 'body' });
      await digestWriter.write(chunk);
      buf.push(chunk);
      bufBytes += chunk.byteLength;
      while (bufBytes >= partSize) await flushPart(partSize);
    })) {
      for (const line of batch) {
        const value = parseJsonLine(line.text, line.no);
        if (!header) header = validateHeader(value, line.no);
        else v.accept(value, { line: line.no });
      }
    }
    if (!header) throw badRequest('line 1: expected the slice header {slice_id, model}', { line: 1, field: 'slice_id' });
    await flushPart();
    await digestWriter.close();
  } catch (e) {
    await drainChunks(next); // the answer must reach a client still sending (lib/drain.ts)
    await upload.abort().catch(() => undefined);
    throw e;
  }
  const hash = toHex(await digest.digest);
  const args = { region, header, hash, buckets: bucketCount(total), r2Key: key, streamLeaseMs };
  let claim = await claimSlice(env.DB, args);
  // A streamed submission of this slice_id is in flight (no hash yet): wait until it commits
  // (then the hashes decide: 200 or 409), gives up (its row is gone: claim it), or goes silent
  // past its lease (its client went away: take it over, with this body already in R2).
  const until = Date.now() + streamLeaseMs + 5_000;
  while (claim.kind === 'busy' && claim.row.content_hash === null && claim.row.status === 'processing' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    claim = await claimSlice(env.DB, args);
  }
  if (claim.kind !== 'owned') {
    await upload.abort().catch(() => undefined);
    return claimResponse(claim);
  }
  await upload.complete(uploaded);
  await env.INGEST_QUEUE.send({ kind: 'ingest', slicePk: claim.pk, owner: claim.owner, r2Key: key });
  return { status: 202, body: { slice_id: header.slice_id, status: 'processing' } };
}
