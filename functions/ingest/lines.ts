// Streams a body as text lines without holding it whole: NDJSON slices can be 100k+ items.
import { ApiError } from '../lib/errors.ts';

export interface Line { no: number; text: string }

export const MAX_LINE_BYTES = 1_000_000;

/** Yields non-empty lines (1-based numbers count blank lines too, so messages match editors). */
export async function* readLines(body: ReadableStream<Uint8Array>, onBytes?: (chunk: Uint8Array) => Promise<void> | void): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(body, onBytes)) yield* batch;
}

/** The same lines, one array per chunk read: hot loops pay one await per chunk, not per line. */
export async function* readLineBatches(body: ReadableStream<Uint8Array>, onBytes?: (chunk: Uint8Array) => Promise<void> | void): AsyncGenerator<Line[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let carry = '';
  let no = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new ApiError(400, 'invalid_encoding', `line ${no + 1}: body is not valid UTF-8`);
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
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
