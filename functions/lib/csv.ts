// CSV (RFC 4180 quoting, '\n' ended lines) by csv-stringify: fields holding a comma, a quote or a
// line break are quoted, quotes doubled; null and undefined are empty fields.
import { stringify } from 'csv-stringify/sync';

/** Many lines at once (one stringify call per page: a call per line costs more than the rows). */
export const csvLines = (rows: readonly (readonly unknown[])[]): string =>
  (rows.length ? stringify(rows.map((r) => r.map((v) => v ?? ''))) : '');

export const csvLine = (values: readonly unknown[]): string => csvLines([values]);
