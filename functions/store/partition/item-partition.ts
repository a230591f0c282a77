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
import type { StoredItem } from '../items/format.ts';
import { featuresJson, VERSION_EPOCH, type CellFilter, type ItemCursor, type ItemPage, type ListedItem, type PartitionRow } from './rows.ts';
import { exportLines, type ExportFormat, type ListedRaw } from './export-format.ts';
import { ADD_FEATURES, cellWhere, COLUMNS, IN_CELL_KEY, IN_CELL_SET, LISTED, SCHEMA, UNFEATURED_INDEX, UPDATE_IN_CELL, UPSERT } from './schema.ts';

/** Rows given their features per statement batch while filling a partition made before them. */
const FILL_BATCH = 5000;

export class ItemPartition extends DurableObject<unknown> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    const cols = this.sql.exec<{ name: string }>('PRAGMA table_info(items)').toArray();
    if (!cols.some((c) => c.name === 'features')) this.sql.exec(ADD_FEATURES);
    this.sql.exec(UNFEATURED_INDEX);
  }

  /** Gives rows stored before the \`features\` column theirs, from their own record (the same
   *  featuresOf a sync uses); a no-op once done (the partial index finds none). */
  private fillFeatures(): void {
    for (;;) {
      const rows = this.sql.exec<{ id: number; record: string }>(
        'SELECT rowid AS id, record FROM items WHERE features IS NULL LIMIT ?', FILL_BATCH).toArray();
      if (!rows.length) return;
      this.ctx.storage.transactionSync(() => {
        for (const r of rows) this.sql.exec('UPDATE items SET features = ? WHERE rowid = ?', featuresJson(JSON.parse(r.record) as StoredItem), r.id);
      });
    }
  }

  /** Writes the rows (one transaction); returns how many were given. A row that stays in its
   *  cell (the common label edit) is rewritten in place, else upserted (schema.ts). */
  upsert(rows: readonly PartitionRow[]): number {
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        if (this.sql.exec(UPDATE_IN_CELL, ...IN_CELL_SET.map((c) => r[c]), ...IN_CELL_KEY.map((c) => r[c])).toArray().length) continue;
        this.sql.exec(UPSERT, ...COLUMNS.map((c) => r[c]));
      }
    });
    return rows.length;
  }

  /** The statement reading a cell's rows after `cursor` in the listing order (LIMIT ? last). */
  private pageQuery(filter: CellFilter, cursor: ItemCursor | null): { query: string; params: (string | number)[]; counted: string; countParams: (string | number)[] } {
    const byFeature = !!filter.features?.length;
    if (byFeature) this.fillFeatures();
    const { terms, params } = cellWhere(filter);
    const pageTerms = cursor ? [...terms, '(slice_created_at, slice_id, item_id) > (?, ?, ?)'] : terms;
    const pageParams = cursor ? [...params, cursor.c, cursor.s, cursor.i] : params;
    const where = (t: string[]) => (t.length ? `WHERE ${t.join(' AND ')}` : '');
    // cell_counts has the filter columns of items (primary_code and family '' for none, which
    // no filter value equals); a feature filter is not among them, so its items are counted.
    const count = byFeature ? 'SELECT count(*) AS n FROM items' : 'SELECT coalesce(sum(n), 0) AS n FROM cell_counts';
    return {
      query: `SELECT ${LISTED} FROM items ${where(pageTerms)} ORDER BY slice_created_at, slice_id, item_id LIMIT ?`,
      params: pageParams,
      counted: `${count} ${where(terms)}`,
      countParams: params,
    };
  }

  /** One page of a cell after `cursor`, and the cell's exact size when `withTotal`. */
  list(filter: CellFilter, cursor: ItemCursor | null, limit: number, withTotal: boolean): ItemPage & { total?: number } {
    const q = this.pageQuery(filter, cursor);
    const rows = this.sql.exec(q.query, ...q.params, limit + 1).toArray() as unknown as Array<ListedItem & { c: string }>;
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    const items = rows.map(({ c: _c, ...item }) => item);
    const page: ItemPage & { total?: number } = { items, next: more ? { c: last.c, s: last.slice_id, i: last.item_id } : null };
    if (withTotal) page.total = this.sql.exec<{ n: number }>(q.counted, ...q.countParams).one().n;
    return page;
  }

  /** One page of a cell's export as its text (export-format.ts), read as raw rows: one string
   *  crosses the RPC boundary, not `limit` objects. */
  exportPage(filter: CellFilter, cursor: ItemCursor | null, limit: number, format: ExportFormat): { text: string; next: ItemCursor | null } {
    const q = this.pageQuery(filter, cursor);
    const rows = [...this.sql.exec(q.query, ...q.params, limit + 1).raw()] as unknown as ListedRaw[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { text: exportLines(rows, format), next: more ? { c: last[10], s: last[0], i: last[1] } : null };
  }

  /** Items held and the database's size on disk (bytes): what capacity planning watches
   *  (a SQLite Durable Object holds up to 10 GB). */
  stats(): { items: number; bytes: number } {
    return { items: this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM items').one().n, bytes: this.sql.databaseSize };
  }

  /** The stored records of the given items of a slice (the item store's read once D1's copy of
   *  the slice is evicted: store/items/editor.ts readRecords), through the listing order's index. */
  current(createdAt: string, sliceId: string, itemIds: readonly string[]): Array<{ item_id: string; record: string; ver: number }> {
    return this.sql.exec<{ item_id: string; record: string; ver: number }>(
      `SELECT item_id, record, ver FROM items WHERE slice_created_at = ? AND slice_id = ? AND item_id IN (SELECT value FROM json_each(?))`,
      createdAt, sliceId, JSON.stringify(itemIds),
    ).toArray();
  }

  /** How many items of a slice the partition holds, and how many still carry a version from
   *  before per-item versions (what eviction checks before D1's copy goes: evict.ts). */
  sliceHeld(sliceId: string): { items: number; unversioned: number } {
    const items = this.sql.exec<{ n: number }>('SELECT coalesce(sum(n), 0) AS n FROM cell_counts WHERE slice_id = ?', sliceId).one().n;
    const unversioned = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM items WHERE slice_id = ? AND ver < ?', sliceId, VERSION_EPOCH).one().n;
    return { items, unversioned };
  }

  /** The stored records of a slice's items after `afterItemId`, in item_id order (tests and the
   *  migration check read a partition back whole through this). */
  records(sliceId: string, afterItemId: string, limit: number): Array<{ item_id: string; record: string; ver: number }> {
    return this.sql.exec<{ item_id: string; record: string; ver: number }>(
      'SELECT item_id, record, ver FROM items WHERE slice_id = ? AND item_id > ? ORDER BY item_id LIMIT ?', sliceId, afterItemId, limit,
    ).toArray();
  }
}
