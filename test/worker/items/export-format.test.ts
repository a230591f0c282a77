// The export's text made in the partition (store/partition/export-format.ts, issue 14) is byte for
// byte what the Worker wrote before from the listed objects: csv-stringify for CSV, the item's
// JSON with `secondary` last as an array for NDJSON; across page boundaries, nothing skipped or
// repeated. Values that need quoting in CSV or escaping in JSON are planted on purpose.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { csvField, csvLine, csvLines } from '../../../functions/lib/csv.ts';
import { streamCell } from '../../../functions/services/items.ts';
import { EXPORT_COLUMNS } from '../../../functions/store/partition/export-format.ts';
import type { CellFilter, ItemCursor, ListedItem, PartitionRow } from '../../../functions/store/partition/rows.ts';
import { partitionOf } from '../../../functions/store/partition/sync.ts';

const AWKWARD = ['plain', 'a,b', 'say "hi"', '"', 'line\nbreak', 'cr\rhere', 'crlf\r\n', '', ' lead', 'ünï, "cödé"', '=1+2', '-x', 'tab\there', '\u2028sep'];
const NUMBERS = [0, -0, 1, -1, 0.1, 0.5, 1 / 3, 1e21, 1.5e-7, 12345678.9, -0.25];

/** The export as the Worker made it before (commit 4eaa64c's services/items.ts). */
function before(items: ListedItem[], format: 'csv' | 'ndjson'): string {
  if (format === 'csv') return csvLines(items.map((it) => EXPORT_COLUMNS.map((k) => it[k])));
  return items.map(({ secondary, ...it }) => `${JSON.stringify({ ...it, secondary: secondary ? secondary.split('|') : [] })}\n`).join('');
}

async function listAll(stub: ReturnType<typeof partitionOf>, f: CellFilter): Promise<ListedItem[]> {
  const out: ListedItem[] = [];
  let cursor: ItemCursor | null = null;
  do {
    const page = await stub.list(f, cursor, 3, false);
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

const row = (k: number): PartitionRow => ({
  slice_id: k % 5 === 0 ? 'slice,"b"' : 'slice-a', slice_created_at: `2026-01-0${1 + (k % 3)}T00:00:00.000Z`, item_id: `${AWKWARD[k % AWKWARD.length]}#${k}`,
  policy: k % 2 ? 'hate.slur' : 'spam.scam', outcome: k % 4 === 0 ? 'FP' : 'TN', primary_code: k % 4 === 0 ? 'THR.MARGIN' : null,
  family: k % 4 === 0 ? 'THR.MARGIN' : null, secondary: k % 4 === 0 ? (k % 8 === 0 ? 'THR.MARGIN|UNEXPLAINED' : 'THR.MARGIN') : '',
  score: k % 6 === 5 ? null : NUMBERS[k % NUMBERS.length], threshold: NUMBERS[(k + 3) % NUMBERS.length],
  language: k % 7 === 3 ? null : AWKWARD[(k + 1) % AWKWARD.length], surface: AWKWARD[(k + 2) % AWKWARD.length],
  record: '{}', ver: 1, features: '{}',
});

describe('export text', () => {
  it('csvField writes a field as csv-stringify does', () => {
    for (const v of [...AWKWARD, ...NUMBERS, null, undefined]) expect(`${csvField(v)}\n`).toBe(csvLine([v]));
  });

  it('CSV and NDJSON from the partition equal the listed pages as the Worker formatted them, across pages', async () => {
    const stub = partitionOf(env, 'KE', 'export-format', '1');
    const rows = Array.from({ length: 40 }, (_, k) => row(k));
    await stub.upsert(rows);
    for (const f of [{}, { policy: 'hate.slur' }, { outcome: 'FP' as const }, { slice_id: 'slice,"b"' }]) {
      const items = await listAll(stub, f);
      expect(items.length).toBeGreaterThan(2);
      for (const format of ['csv', 'ndjson'] as const) {
        const header = format === 'csv' ? csvLine([...EXPORT_COLUMNS]) : '';
        // Pages of 3: the cursor of the page before and the prefetch of the next are crossed often.
        const text = await new Response(streamCell(stub, f, format, 3)).text();
        expect(text).toBe(header + before(items, format));
      }
    }
    // Every row once (the listing itself is checked by items.test.ts against the API pages).
    expect((await listAll(stub, {})).length).toBe(rows.length);
  });

  it('a cell with no items exports the CSV header alone and an empty NDJSON', async () => {
    const stub = partitionOf(env, 'KE', 'export-format', '2');
    await stub.upsert([row(1)]);
    expect(await new Response(streamCell(stub, { policy: 'none' }, 'csv')).text()).toBe(csvLine([...EXPORT_COLUMNS]));
    expect(await new Response(streamCell(stub, { policy: 'none' }, 'ndjson')).text()).toBe('');
    expect(await new Response(streamCell(null, {}, 'csv')).text()).toBe(`${EXPORT_COLUMNS.join(',')}\n`);
  });
});
