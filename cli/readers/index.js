// Picks the reader by the file's extension. Every reader yields entries one at a time: an item
// with where it came from (for error messages), or a slice header found in the file.
import { extname } from 'node:path';
import { readCsv } from './csv.js';
import { readJson } from './json.js';
import { readNdjson } from './ndjson.js';
import { readParquet } from './parquet.js';

/** @typedef {{ item: Record<string, unknown>, where: string } | { header: Record<string, unknown>, item?: undefined }} Entry */

export const READERS = /** @type {Record<string, (file: string) => AsyncGenerator<Entry>>} */ ({
  '.ndjson': readNdjson, '.jsonl': readNdjson, '.json': readJson, '.csv': readCsv, '.parquet': readParquet,
});

/** @param {string} file @returns {AsyncGenerator<Entry>} */
export function readEntries(file) {
  const reader = READERS[extname(file).toLowerCase()];
  if (!reader) throw new Error(`${file}: unsupported file type (expected ${Object.keys(READERS).join(', ')})`);
  return reader(file);
}
