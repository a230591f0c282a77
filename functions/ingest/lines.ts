// Streams a body as text lines without holding it whole: NDJSON slices can be 100k+ items.
import { ApiError } from '../lib/errors.ts';

export interface Line { no: number; text: string }

export const MAX_LINE_BYTES = 1_000_000;

/** Yields non-empty lines (1-based numbers count blank lines too, so messages match editors). */
/** Reads the next chunk of a body; undefined at its end. */
export type ChunkReader = () => Promise<Uint8Array | undefined>;

/** A body: a stream, or a reader of its chunks (e.g. a prefix already read, then the rest). */
export type ByteSource = ReadableStream<Uint8Array> | ChunkReader;

/** Smallest chunk a BYOB read waits for (see chunkReader). */
const MIN_CHUNK = 256 * 1024;

/**
 * Reads a body in large chunks. workerd hands a request body over in ~4 KB pieces and every
 * read costs far more than the copy of its bytes (a 34 MB slice is ~8,000 reads), so where the
 * stream supports BYOB reads, workerd's readAtLeast gathers ≥ 256 KB per read (less only at the
 * end). Streams without BYOB support (made in JS) are read as they come.
 */
export function chunkReader(body: ReadableStream<Uint8Array>): ChunkReader & { cancel(): Promise<void> } {
  let byob: ReadableStreamBYOBReader | undefined;
  try { byob = body.getReader({ mode: 'byob' }); } catch { /* not a byte stream */ }
  if (byob) {
    const r = byob;
    const next = (async () => {
      const { value, done } = await r.readAtLeast(MIN_CHUNK, new Uint8Array(4 * MIN_CHUNK));
      return value && value.byteLength > 0 ? value : done ? undefined : new Uint8Array(0);
    }) as ChunkReader & { cancel(): Promise<void> };
    next.cancel = () => r.cancel();
    return next;
  }
  const d = body.getReader();
  const next = (async () => (await d.read()).value) as ChunkReader & { cancel(): Promise<void> };
  next.cancel = () => d.cancel();
  return next;
}

/** `prefix`, then the rest from `next`: a body whose first chunks were read already. The
 *  prefix array is emptied as it is read, so those chunks are not kept for the whole body. */
export function resumeBody(prefix: Uint8Array[], next: ChunkReader): ChunkReader {
  return () => (prefix.length ? Promise.resolve(prefix.shift()) : next());
}

export async function* readLines(body: ByteSource, onBytes?: (chunk: Uint8Array) => Promise<void> | void): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(body, onBytes)) yield* batch;
}

/** The same lines, one array per chunk read: hot loops pay one await per chunk, not per line. */
export async function* readLineBatches(body: ByteSource, onBytes?: (chunk: Uint8Array) => Promise<void> | void): AsyncGenerator<Line[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let carry = '';
  let no = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      // The chunk may hold many lines: name the one with the bad byte.
      const line = no + 1 + (chunk ? newlinesBeforeInvalid(chunk) : 0);
      throw new ApiError(400, 'invalid_encoding', `line ${line}: body is not valid UTF-8`, { line, field: 'body' });
    }
  };
  const next = body instanceof ReadableStream ? chunkReader(body) : body;
  for (let value = await next(); value !== undefined; value = await next()) {
    if (value.byteLength === 0) continue;
    if (onBytes) await onBytes(value);
    carry += decode(value);
    let start = 0;
    const batch: Line[] = [];
    for (;;) {
      const nl = carry.indexOf('\n', start);
      if (nl < 0) break;
      no++;
      const text = carry.slice(start, nl).trim();
      start = nl + 1;
      if (text) batch.push({ no, text });
    }
    carry = carry.slice(start);
    if (batch.length) yield batch;
    if (carry.length > MAX_LINE_BYTES) {
      throw new ApiError(413, 'line_too_long', `line ${no + 1}: longer than ${MAX_LINE_BYTES} characters`);
    }
  }
  carry += decode();
  const last = carry.trim();
  if (last) yield [{ no: no + 1, text: last }];
}

/**
 * Reads until the first non-blank line is complete (or the body ends): the chunks read, that
 * line's text and number. For a slice header, which decides what to do with the rest.
 */
export async function readFirstLine(next: ChunkReader): Promise<{ chunks: Uint8Array[]; line: string | null; no: number }> {
  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let text = '';
  let no = 1;
  const found = (): string | null => {
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) return null;
      const line = text.slice(0, nl).trim();
      if (line) return line;
      text = text.slice(nl + 1);
      no++;
    }
  };
  try {
    for (let value = await next(); value !== undefined; value = await next()) {
      chunks.push(value);
      text += decoder.decode(value, { stream: true });
      const line = found();
      if (line !== null) return { chunks, line, no };
      if (text.length > MAX_LINE_BYTES) throw new ApiError(413, 'line_too_long', `line ${no}: longer than ${MAX_LINE_BYTES} characters`);
    }
    text += decoder.decode();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const line = no + (chunks.length ? newlinesBeforeInvalid(chunks[chunks.length - 1]) : 0);
    throw new ApiError(400, 'invalid_encoding', `line ${line}: body is not valid UTF-8`, { line, field: 'body' });
  }
  return { chunks, line: found() ?? (text.trim() || null), no };
}

/**
 * How many newlines precede the first byte of `chunk` that cannot be UTF-8 (a newline is never
 * part of a multi-byte sequence, so they count lines). A sequence cut at the chunk's end is not
 * an error here; continuation bytes at its start (a sequence begun in the previous chunk) are
 * taken as valid.
 */
export function newlinesBeforeInvalid(chunk: Uint8Array): number {
  let lines = 0;
  let i = 0;
  while (i < chunk.length && (chunk[i] & 0xc0) === 0x80) i++;
  while (i < chunk.length) {
    const b = chunk[i];
    if (b === 0x0a) { lines++; i++; continue; }
    if (b < 0x80) { i++; continue; }
    const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!len) return lines;
    for (let k = 1; k < len; k++) {
      if (i + k >= chunk.length) return lines;
      const c = chunk[i + k];
      // Second-byte ranges that rule out overlong forms, surrogates and code points past U+10FFFF.
      const lo = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
      const hi = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
      if (c < lo || c > hi) return lines;
    }
    i += len;
  }
  return lines;
}
