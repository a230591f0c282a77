// The column mapping from tabular rows (CSV, Parquet) to eval items (SPEC §3): a dotted column
// name is a path into the item (`label.violating`, `prediction.score`, `live.stream_id`,
// `attributes.creator_tier`), each known path has a type its cells are coerced to, and an empty
// cell leaves the field out. Parquet struct columns arrive as objects and are flattened first.

/** @typedef {'string'|'number'|'integer'|'boolean'|'json'|'list'} CellType */

/** Known paths and their types; `prefix.*` covers every key under a prefix. Others are strings. */
export const COLUMN_TYPES = /** @type {Record<string, CellType>} */ ({
  item_id: 'string', content_id: 'string', surface: 'string', language: 'string', policy: 'string',
  'label.violating': 'boolean', 'label.source': 'string', 'label.votes': 'json', 'label.evidence': 'list', 'label.adversarial': 'boolean',
  'prediction.score': 'number', 'prediction.threshold': 'number', 'prediction.parse_ok': 'boolean', 'prediction.grounded': 'boolean',
  'probes.*': 'number', 'signals.*': 'number',
  'live.stream_id': 'string', 'live.segment': 'integer', 'live.onset_ms': 'number', 'live.flag_ms': 'number',
  'media.*': 'string', 'features.*': 'json', 'attributes.*': 'string',
});

/** @param {string} path @returns {CellType} */
export function typeOf(path) {
  const exact = COLUMN_TYPES[path];
  if (exact) return exact;
  const dot = path.lastIndexOf('.');
  return (dot > 0 && COLUMN_TYPES[`${path.slice(0, dot)}.*`]) || 'string';
}

/** A bad cell: names the row (and the file's line, for CSV) and the column. */
export class CellError extends Error {
  /** @param {string} where e.g. `row 12 (line 13)` @param {string} column @param {string} problem */
  constructor(where, column, problem) {
    super(`${where}, column ${column}: ${problem}`);
    this.where = where;
    this.column = column;
  }
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);
const show = (/** @type {unknown} */ v) => JSON.stringify(typeof v === 'bigint' ? String(v) : v)?.slice(0, 60);

/**
 * Plain JSON values: Parquet INT64 cells are BigInt, which JSON cannot carry.
 * @param {unknown} v @returns {unknown}
 */
function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/**
 * One cell coerced to its column's type; undefined for an empty cell (the field is left out).
 * @param {unknown} v @param {CellType} type @returns {unknown}
 * @throws {string} the problem, for CellError
 */
export function coerce(v, type) {
  if (v === null || v === undefined) return undefined;
  const s = typeof v === 'string' ? v.trim() : null;
  if (s === '') return undefined;
  switch (type) {
    case 'string':
      if (typeof v === 'object') throw `${show(v)} is not text`;
      return String(v);
    case 'number':
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : s !== null ? Number(s) : NaN;
      if (!Number.isFinite(n)) throw `${show(v)} is not a number`;
      if (type === 'integer' && !Number.isInteger(n)) throw `${show(v)} is not an integer`;
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      if (s !== null && TRUE.has(s.toLowerCase())) return true;
      if (s !== null && FALSE.has(s.toLowerCase())) return false;
      throw `${show(v)} is not a boolean (true/false, 1/0, yes/no)`;
    case 'json':
      if (s === null) return plain(v);
      try { return JSON.parse(s); } catch (e) { throw `${show(v)} is not valid JSON (${/** @type {Error} */ (e).message})`; }
    case 'list':
      if (s === null) return plain(v);
      if (s.startsWith('[')) return coerce(s, 'json');
      return s.split('|').map((x) => x.trim()).filter(Boolean);
  }
}

/**
 * Flattens a row whose values may be objects (Parquet structs) into dotted columns, keeping
 * JSON- and list-typed paths whole.
 * @param {Record<string, unknown>} row @param {string} [prefix] @param {Record<string, unknown>} [out]
 */
export function flatten(row, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(row)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const t = typeOf(path);
    if (v && typeof v === 'object' && !Array.isArray(v) && t !== 'json' && t !== 'list' && !(v instanceof Uint8Array)) flatten(/** @type {Record<string, unknown>} */ (v), path, out);
    else out[path] = v;
  }
  return out;
}

/** @type {Map<string, { type: CellType, keys: string[] }>} */
const COMPILED = new Map();
/** A column's type and path, worked out once per column name (not per cell). @param {string} column */
function compiled(column) {
  let c = COMPILED.get(column);
  if (!c) { c = { type: typeOf(column), keys: column.split('.') }; COMPILED.set(column, c); }
  return c;
}

/**
 * Sets one cell into the item (nothing for an empty cell).
 * @param {Record<string, any>} item @param {string} column @param {unknown} cell @param {string} where
 */
function setCell(item, column, cell, where) {
  const { type, keys } = compiled(column);
  let value;
  try { value = coerce(cell, type); } catch (problem) {
    if (typeof problem !== 'string') throw problem;
    throw new CellError(where, column, problem);
  }
  if (value === undefined) return;
  let at = item;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    if (at[k] === undefined) at[k] = {};
    else if (typeof at[k] !== 'object' || Array.isArray(at[k])) throw new CellError(where, column, `conflicts with column ${k}`);
    at = at[k];
  }
  at[keys[keys.length - 1]] = value;
}

/**
 * A row of cells by column name → an eval item.
 * @param {Record<string, unknown>} row @param {string} where e.g. `row 12`
 * @returns {Record<string, unknown>}
 */
export function rowToItem(row, where) {
  /** @type {Record<string, unknown>} */
  const item = {};
  for (const column in row) setCell(item, column, row[column], where);
  return item;
}

/**
 * A row of cells in header order → an eval item (CSV: no object per row in between).
 * @param {string[]} header @param {unknown[]} cells @param {string} where e.g. `row 12 (line 13)`
 * @returns {Record<string, unknown>}
 */
export function cellsToItem(header, cells, where) {
  /** @type {Record<string, unknown>} */
  const item = {};
  for (let i = 0; i < header.length; i++) setCell(item, header[i], cells[i], where);
  return item;
}
