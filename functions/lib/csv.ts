// CSV (RFC 4180 quoting, '\n' ended lines) by csv-stringify: fields holding a comma, a quote or a
// line break are quoted, quotes doubled; null and undefined are empty fields.
import { stringify } from 'csv-stringify/sync';

/** Many lines at once (one stringify call per page: a call per line costs more than the rows). */
export const csvLines = (rows: readonly (readonly unknown[])[]): string =>
  (rows.length ? stringify(rows.map((r) => r.map((v) => v ?? ''))) : '');

export const csvLine = (values: readonly unknown[]): string => csvLines([values]);

const NEEDS_QUOTES = /[",\n\r]/;

/** One field of a string or number column as csv-stringify writes it with the options above
 *  (numbers as `'' + n`, null empty), without its per-row machinery: the items export writes a
 *  million rows with it (test/worker/items/export-format.test.ts holds the two to the same bytes). */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return `${v}`;
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}
