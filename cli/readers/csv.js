// CSV through csv-parse's stream parser: a header row of dotted column names (cli/mapping.js),
// one item per row, read record by record (never the whole file).
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { rowToItem } from '../mapping.js';

/** @param {string} file @returns {AsyncGenerator<import('./index.js').Entry>} */
export async function* readCsv(file) {
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, info: true, skip_empty_lines: true, trim: false }));
  let row = 0;
  try {
    for await (const { record, info } of parser) {
      row++;
      // info.lines is the line the record ends on; the header is line 1 of a one-line-per-row file.
      yield { item: rowToItem(record, `row ${row} (line ${info.lines})`), where: `row ${row}` };
    }
  } catch (e) {
    // csv-parse names the line; keep its message (e.g. "Invalid Record Length: … on line 7").
    if (e && typeof e === 'object' && 'code' in e && String(e.code).startsWith('CSV_')) throw new Error(`CSV: ${/** @type {any} */ (e).message}`);
    throw e;
  } finally {
    parser.destroy();
  }
}
