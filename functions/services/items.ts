// The items of a cell (SPEC §10): region × model version × policy × signature × outcome × slice,
// read from the region × version's item partition (store/partition/): one page with the exact
// total, or every item streamed as CSV or NDJSON, page by page.
import { isItemSignatureCode } from '../../taxonomy/signatures/registry.ts';
import type { Bindings } from '../env.ts';
import { badRequest } from '../lib/errors.ts';
import { partitionOf, slicesNotCopied } from '../store/partition/sync.ts';
import type { CellFilter, ItemCursor, ListedItem } from '../store/partition/rows.ts';
import { csvLine } from '../lib/csv.ts';
import { EXPORT_COLUMNS, type ExportFormat } from '../store/partition/export-format.ts';

export interface ItemsQuery extends CellFilter { model: string; version: string; limit: number; cursor?: string }

export interface ItemsPage {
  total: number;
  items: Array<Omit<ListedItem, 'secondary'>>;
  next_cursor: string | null;
  /** Committed slices whose items are not in the item partition yet (slicesNotCopied). */
  slices_catching_up: number;
}

/** Items per call to the partition while exporting: a call holds the partition ~30 ms (read and
 *  text at 1M items, measured under load; a list request waits at most that), and 200 calls per
 *  1M items cost little next to the rows (BENCHMARKS.md, "Capacity"). */
const EXPORT_PAGE = 5000;

// The cursor is opaque to clients: the last item's position (slice created_at, slice_id, item_id).
const encodeCursor = (c: ItemCursor) => btoa(JSON.stringify([c.c, c.s, c.i])).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

function decodeCursor(s: string): ItemCursor {
  try {
    const v = JSON.parse(atob(s.replaceAll('-', '+').replaceAll('_', '/'))) as unknown;
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) return { c: v[0], s: v[1], i: v[2] };
  } catch { /* not base64 or not JSON: the same answer */ }
  throw badRequest('cursor: not a cursor of this listing (pass next_cursor as it came)', { field: 'cursor' });
}

/** 400 naming the filter that no item can match because it is not a known policy or signature. */
async function checkFilters(d1: D1Database, q: CellFilter): Promise<void> {
  if (q.signature !== undefined && !isItemSignatureCode(q.signature)) {
    throw badRequest(`signature: '${q.signature}' is neither an item signature code nor a family (GET /v1/taxonomy)`, { field: 'signature' });
  }
  if (q.policy !== undefined && !(await d1.prepare('SELECT 1 AS x FROM policies WHERE code = ?').bind(q.policy).first())) {
    throw badRequest(`policy: unknown policy '${q.policy}'`, { field: 'policy' });
  }
}

const cellOf = (q: ItemsQuery): CellFilter => ({ policy: q.policy, signature: q.signature, outcome: q.outcome, slice_id: q.slice_id, features: q.features, population: q.population });

/** Whether the region has any slice of the model version: if not, no partition is touched
 *  (a partition is created by its first call, and a GET creates none). */
async function hasSlices(d1: D1Database, region: string, q: ItemsQuery): Promise<boolean> {
  return !!(await d1.prepare('SELECT 1 AS x FROM slices WHERE model_id = ? AND model_version = ? AND region = ? LIMIT 1')
    .bind(q.model, q.version, region).first());
}

export async function listItems(env: Bindings, region: string, q: ItemsQuery): Promise<ItemsPage> {
  const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : null;
  await checkFilters(env.DB, q);
  if (!(await hasSlices(env.DB, region, q))) return { total: 0, items: [], next_cursor: null, slices_catching_up: 0 };
  const [page, behind] = await Promise.all([
    partitionOf(env, region, q.model, q.version).list(cellOf(q), cursor, q.limit, true),
    slicesNotCopied(env.DB, region, q.model, q.version),
  ]);
  return {
    total: page.total ?? 0,
    items: page.items.map(({ secondary: _s, ...item }) => item),
    next_cursor: page.next ? encodeCursor(page.next) : null,
    slices_catching_up: behind,
  };
}

/** Every item of the cell, streamed (streamCell). */
export async function exportItems(env: Bindings, region: string, q: ItemsQuery, format: 'csv' | 'ndjson'): Promise<ReadableStream<Uint8Array>> {
  await checkFilters(env.DB, q);
  const any = await hasSlices(env.DB, region, q);
  return streamCell(any ? partitionOf(env, region, q.model, q.version) : null, cellOf(q), format);
}

/** The export of a cell of a partition (null: no partition, the header alone). The partition
 *  formats each page (export-format.ts); the next page is asked for as soon as one arrives, so the
 *  partition reads it while this one is sent, and no further (the reader's pace bounds memory to
 *  two pages). The capacity bench (scripts/bench/capacity.mjs) measures this same function. */
export function streamCell(stub: ReturnType<typeof partitionOf> | null, filter: CellFilter, format: ExportFormat, pageSize = EXPORT_PAGE): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const fetchPage = (cursor: ItemCursor | null) => {
    const page = stub!.exportPage(filter, cursor, pageSize, format);
    // A page asked for ahead of a reader that then left: its failure is nobody's (pull awaits it otherwise).
    page.catch(() => {});
    return page;
  };
  let next: ReturnType<typeof fetchPage> | null = null;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let text = '';
      if (!started) {
        started = true;
        if (format === 'csv') text = csvLine([...EXPORT_COLUMNS]);
        if (stub) next = fetchPage(null);
      }
      if (next) {
        const page = await next;
        next = page.next ? fetchPage(page.next) : null;
        text += page.text;
      }
      if (text) ctl.enqueue(enc.encode(text));
      if (!next) ctl.close();
    },
    cancel() { next = null; },
  }, { highWaterMark: 0 });
}
