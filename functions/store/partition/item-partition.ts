// The item partition: a SQLite-backed Durable Object per region × model version holding one row
// per item (issue 14, stage 1). D1's parts stay the write path and the transactional source;
// the partition is a copy fed from committed D1 state (sync.ts) that answers "the items of this
// cell" through indexes, ordered by (slice created_at, slice_id, item_id), with an exact count.
//
// Every method is synchronous: a Durable Object runs one call at a time and a synchronous
// method cannot be interleaved with another call, so each upsert is applied whole, and
// `transactionSync` makes it atomic on disk. Between calls, order is settled by `ver`: a row
// is replaced only by a read of the same or a newer version (sync.ts says why that is enough).
import { DurableObject } from 'cloudflare:workers';
import { familyOf } from '../../../taxonomy/signatures/registry.ts';
import type { CellFilter, ItemCursor, ItemPage, ListedItem, PartitionRow } from './rows.ts';

// Indexes: the listing order (unique: it is also the identity, created_at being fixed per
// slice), per policy × outcome, per family and per primary code (partial: failures only, 10–35 %
// of items), per slice. Each ends with the order columns, so an equality filter on its leading
// columns reads a cell in order and counts it from the index alone.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  slice_id TEXT NOT NULL, slice_created_at TEXT NOT NULL, item_id TEXT NOT NULL,
  policy TEXT NOT NULL, outcome TEXT NOT NULL, primary_code TEXT, family TEXT, secondary TEXT NOT NULL,
  score REAL, threshold REAL NOT NULL, language TEXT, surface TEXT NOT NULL,
  record TEXT NOT NULL, ver INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS items_order ON items (slice_created_at, slice_id, item_id);
CREATE INDEX IF NOT EXISTS items_policy ON items (policy, outcome, slice_created_at, slice_id, item_id);
CREATE INDEX IF NOT EXISTS items_family ON items (family, policy, slice_created_at, slice_id, item_id) WHERE family IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_primary ON items (primary_code, policy, slice_created_at, slice_id, item_id) WHERE primary_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_slice ON items (slice_id, slice_created_at, item_id);`;

const COLUMNS = ['slice_id', 'slice_created_at', 'item_id', 'policy', 'outcome', 'primary_code', 'family', 'secondary',
  'score', 'threshold', 'language', 'surface', 'record', 'ver'] as const;

// The same or a newer read wins; an older one leaves the row as it is.
const UPSERT = `INSERT INTO items (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (slice_created_at, slice_id, item_id) DO UPDATE SET
  ${COLUMNS.slice(3).map((c) => `${c} = excluded.${c}`).join(', ')} WHERE excluded.ver >= items.ver`;

const LISTED = `slice_id, item_id, policy, outcome, primary_code AS "primary", secondary, score, threshold, language, surface,
  slice_created_at AS c`;

/** The WHERE terms and their parameters for a cell (a family matches its codes: familyOf of a
 *  family is itself, of a modal code the family, so `family = ?` holds for exactly those). */
function cellWhere(f: CellFilter): { terms: string[]; params: (string | number)[] } {
  const terms: string[] = [];
  const params: (string | number)[] = [];
  if (f.policy !== undefined) { terms.push('policy = ?'); params.push(f.policy); }
  if (f.outcome !== undefined) { terms.push('outcome = ?'); params.push(f.outcome); }
  if (f.signature !== undefined) {
    terms.push(familyOf(f.signature) === f.signature ? 'family = ?' : 'primary_code = ?');
    params.push(f.signature);
  }
  if (f.slice_id !== undefined) { terms.push('slice_id = ?'); params.push(f.slice_id); }
  return { terms, params };
}

export class ItemPartition extends DurableObject<unknown> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Writes the rows (one transaction); returns how many were given. */
  upsert(rows: readonly PartitionRow[]): number {
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) this.sql.exec(UPSERT, ...COLUMNS.map((c) => r[c]));
    });
    return rows.length;
  }

  /** One page of a cell after `cursor`, and the cell's exact size when `withTotal`. */
  list(filter: CellFilter, cursor: ItemCursor | null, limit: number, withTotal: boolean): ItemPage & { total?: number } {
    const { terms, params } = cellWhere(filter);
    const pageTerms = cursor ? [...terms, '(slice_created_at, slice_id, item_id) > (?, ?, ?)'] : terms;
    const pageParams = cursor ? [...params, cursor.c, cursor.s, cursor.i] : params;
    const where = (t: string[]) => (t.length ? `WHERE ${t.join(' AND ')}` : '');
    const rows = this.sql.exec(
      `SELECT ${LISTED} FROM items ${where(pageTerms)} ORDER BY slice_created_at, slice_id, item_id LIMIT ?`, ...pageParams, limit + 1,
    ).toArray() as unknown as Array<ListedItem & { c: string }>;
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    const items = rows.map(({ c: _c, ...item }) => item);
    const page: ItemPage & { total?: number } = { items, next: more ? { c: last.c, s: last.slice_id, i: last.item_id } : null };
    if (withTotal) page.total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM items ${where(terms)}`, ...params).one().n;
    return page;
  }

  /** The stored records of a slice's items after `afterItemId`, in item_id order (tests and the
   *  migration check read a partition back whole through this). */
  records(sliceId: string, afterItemId: string, limit: number): Array<{ item_id: string; record: string; ver: number }> {
    return this.sql.exec<{ item_id: string; record: string; ver: number }>(
      'SELECT item_id, record, ver FROM items WHERE slice_id = ? AND item_id > ? ORDER BY item_id LIMIT ?', sliceId, afterItemId, limit,
    ).toArray();
  }
}
