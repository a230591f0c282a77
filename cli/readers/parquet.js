// Parquet through hyparquet, one row group at a time (a row group is what a Parquet writer
// buffered; the file itself is read by ranges, never whole). Flat dotted column names or struct
// columns (`label` {violating, …}) both map through cli/mapping.js.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { flatten, rowToItem } from '../mapping.js';

/** @param {string} file @returns {AsyncGenerator<import('./index.js').Entry>} */
export async function* readParquet(file) {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, rowFormat: 'object' });
    for (let i = 0; i < rows.length; i++) {
      const row = rowStart + i + 1;
      yield { item: rowToItem(flatten(rows[i]), `row ${row}`), where: `row ${row}` };
    }
    rowStart = rowEnd;
  }
}
