// The export's text of a page of listed rows (SPEC §10: CSV or NDJSON), made inside the item
// partition so that one string per page crosses the RPC boundary instead of thousands of
// objects (issue 14: that and csv-stringify's per-row work halved the export's speed).
// The bytes are those the Worker wrote before from the listed objects (csv-stringify for CSV,
// JSON.stringify of the item with `secondary` last as an array for NDJSON); test/worker/items/
// export-format.test.ts holds the two to the same text.
import { csvField } from '../../lib/csv.ts';

export type ExportFormat = 'csv' | 'ndjson';

/** The CSV header and the order of a listed row's first ten values (schema.ts LISTED). */
export const EXPORT_COLUMNS = ['slice_id', 'item_id', 'policy', 'outcome', 'primary', 'secondary', 'score', 'threshold', 'language', 'surface'] as const;

/** A row as `SELECT ${LISTED}` gives it raw: the EXPORT_COLUMNS, then slice_created_at. */
export type ListedRaw = [string, string, string, string, string | null, string, number | null, number, string | null, string, string];

const csvRow = (r: ListedRaw): string =>
  `${csvField(r[0])},${csvField(r[1])},${csvField(r[2])},${csvField(r[3])},${csvField(r[4])},${csvField(r[5])},${csvField(r[6])},${csvField(r[7])},${csvField(r[8])},${csvField(r[9])}\n`;

const j = JSON.stringify;
const ndjsonRow = (r: ListedRaw): string =>
  `{"slice_id":${j(r[0])},"item_id":${j(r[1])},"policy":${j(r[2])},"outcome":${j(r[3])},"primary":${j(r[4])},"score":${j(r[6])},"threshold":${j(r[7])},"language":${j(r[8])},"surface":${j(r[9])},"secondary":${r[5] ? j(r[5].split('|')) : '[]'}}\n`;

/** The lines of these rows in the format, each ended by '\n'. */
export function exportLines(rows: readonly ListedRaw[], format: ExportFormat): string {
  const line = format === 'csv' ? csvRow : ndjsonRow;
  let text = '';
  for (const r of rows) text += line(r);
  return text;
}
