// One CSV line (RFC 4180 quoting, '\n' ended) by csv-stringify: fields holding a comma, a quote
// or a line break are quoted, quotes doubled; null and undefined are empty fields.
import { stringify } from 'csv-stringify/sync';

export const csvLine = (values: readonly unknown[]): string => stringify([values.map((v) => v ?? '')]);
