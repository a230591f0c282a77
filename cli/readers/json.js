// A JSON file, `[item, …]` or `{slice_id?, model?, items: [item, …]}`, read as a stream: a small
// scanner finds where each element of the items array begins and ends (strings and nesting
// tracked), and only one element at a time is held and parsed.
import { createReadStream } from 'node:fs';

/** @param {string} file @returns {AsyncGenerator<import('./index.js').Entry>} */
export async function* readJson(file) {
  let depth = 0; let inString = false; let escaped = false;
  let root = ''; // '[' or '{'
  let elementDepth = -1; // depth at which the items array's elements live (1 for a root array)
  let captured = ''; let capturing = false; let captureStart = 0; // the element (or root value) being read
  let key = ''; let expectKey = false; let keyStart = -1; let pendingKey = '';
  let index = 0;
  /** @type {Record<string, unknown>} */
  const header = {};
  const stream = createReadStream(file, { encoding: 'utf8' });
  for await (const chunk of stream) {
    const text = /** @type {string} */ (chunk);
    captureStart = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') {
          inString = false;
          if (keyStart >= 0) { pendingKey += text.slice(keyStart, i); key = JSON.parse(`"${pendingKey}"`); keyStart = -1; pendingKey = ''; }
        }
        continue;
      }
      if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') continue;
      if (!root) {
        if (ch !== '[' && ch !== '{') throw new Error('JSON: expected an array of items or an object with "items"');
        root = ch; depth = 1; expectKey = ch === '{'; elementDepth = ch === '[' ? 1 : -1;
        continue;
      }
      const atElements = depth === elementDepth;
      if (ch === '"' && depth === 1 && root === '{' && expectKey) { inString = true; keyStart = i + 1; expectKey = false; continue; }
      if (root === '{' && depth === 1) {
        if (ch === ',') { expectKey = true; continue; }
        if (ch === ':') continue;
        if (ch === '}') { depth = 0; continue; }
        // A value of the root object: the items array streams; slice_id/model are kept whole.
        if (key === 'items' && ch === '[') { depth = 2; elementDepth = 2; continue; }
        if (key === 'slice_id' || key === 'model') {
          const m = /^("(?:[^"\\]|\\.)*"|\{[^{}]*\})/.exec(text.slice(i)); // small values: one chunk
          if (!m) throw new Error(`JSON: ${key} must be a string or a flat object`);
          header[key] = JSON.parse(m[1]); i += m[1].length - 1; continue;
        }
        throw new Error(`JSON: unexpected key "${key}" (expected slice_id, model, items)`);
      }
      if (ch === '"') {
        if (atElements) throw new Error(`JSON: items[${index}] is not an object`);
        inString = true;
        continue;
      }
      if (atElements && (ch === ',' || ch === ']')) {
        if (ch === ']') depth--;
        continue;
      }
      if (ch === '{' || ch === '[') {
        if (atElements) {
          if (ch === '[') throw new Error(`JSON: items[${index}] is not an object`);
          capturing = true; captured = ''; captureStart = i;
        }
        depth++;
      } else if (ch === '}' || ch === ']') {
        depth--;
        if (capturing && depth === elementDepth) {
          captured += text.slice(captureStart, i + 1); capturing = false;
          let value;
          try { value = JSON.parse(captured); } catch (e) { throw new Error(`JSON: items[${index}]: ${/** @type {Error} */ (e).message}`); }
          if (index === 0 && Object.keys(header).length) yield { header };
          yield { item: value, where: `items[${index}]` };
          index++; captured = '';
        }
      } else if (atElements) throw new Error(`JSON: items[${index}] is not an object`);
    }
    if (capturing) { captured += text.slice(captureStart); }
    if (keyStart >= 0) { pendingKey += text.slice(keyStart); keyStart = 0; }
  }
  if (!root || depth !== 0 || inString) throw new Error('JSON: unexpected end of file');
  if (index === 0 && Object.keys(header).length) yield { header };
}
