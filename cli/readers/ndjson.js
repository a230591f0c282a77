// NDJSON / JSON Lines: one item per line, read line by line. A first line that is a slice
// header ({slice_id, model}, no item_id) is taken as the file's header.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** @param {string} file @returns {AsyncGenerator<import('./index.js').Entry>} */
export async function* readNdjson(file) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let no = 0;
  try {
    for await (const text of lines) {
      no++;
      if (!text.trim()) continue;
      let value;
      try { value = JSON.parse(text); } catch (e) { throw new Error(`line ${no}: malformed JSON (${/** @type {Error} */ (e).message})`); }
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${no}: not a JSON object`);
      if (no === 1 && !('item_id' in value) && 'model' in value) yield { header: value };
      else yield { item: value, where: `line ${no}` };
    }
  } finally {
    lines.close();
  }
}
