// The NDJSON body of a submission, made from the file's reader: the header line, then one item
// per line, produced in ~64 KiB pieces as the reader goes (the file is never held whole). A first
// pass over the file checks every row and measures the body (its length and a SHA-256), so the
// request can carry a content-length and a default slice_id that is the same for the same
// submission; the second pass produces the same bytes for the request (retries re-read the file).
import { createHash } from 'node:crypto';
import { readEntries } from './readers/index.js';

const PIECE = 64 * 1024;

/** @typedef {{ id: string, version: string, stage: string }} Model */

/** @param {string} file @param {(n: number) => void} [onItem] */
export async function measure(file, onItem) {
  const hash = createHash('sha256');
  /** @type {Record<string, unknown>} */
  let header = {};
  let items = 0; let bytes = 0;
  for await (const e of readEntries(file)) {
    if (!e.item) { header = { ...header, ...e.header }; continue; }
    const line = `${JSON.stringify(e.item)}\n`;
    hash.update(line);
    bytes += Buffer.byteLength(line);
    items++;
    onItem?.(1);
  }
  return { items, bytes, sha256: hash.digest('hex'), header };
}

/** The header line {slice_id, model}. @param {string} sliceId @param {Model} model */
export const headerLine = (sliceId, model) => `${JSON.stringify({ slice_id: sliceId, model })}\n`;

/**
 * The body as Buffers: the header line, then the items in pieces.
 * @param {string} file @param {string} header @param {(n: number) => void} [onItems]
 * @returns {AsyncGenerator<Buffer>}
 */
export async function* bodyPieces(file, header, onItems) {
  let piece = header; let n = 0;
  for await (const e of readEntries(file)) {
    if (!e.item) continue;
    piece += `${JSON.stringify(e.item)}\n`;
    n++;
    if (piece.length >= PIECE) { yield Buffer.from(piece); onItems?.(n); piece = ''; n = 0; }
  }
  if (piece) { yield Buffer.from(piece); onItems?.(n); }
}

/** A slice_id the server accepts, from the file name and the body's hash. @param {string} base @param {string} sha256 */
export function defaultSliceId(base, sha256) {
  const stem = base.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 80) || 'slice';
  return `${stem}-${sha256.slice(0, 16)}`;
}
