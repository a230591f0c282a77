import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../db/schema.ts';

export const getDb = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof getDb>;
export { schema };

/** D1 binds at most 100 parameters per statement: rows per multi-row INSERT. */
export const rowsPerInsert = (columns: number) => Math.max(1, Math.floor(100 / columns));

export function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

export const nowIso = () => new Date().toISOString();

// Writes whose row count varies use ONE fixed SQL text each, the rows passed as one JSON array
// parameter (json_each): D1 (SQLite) prepares each text once and reuses it, where multi-row
// VALUES lists of every length were each a new statement to compile; and no 100-parameter cap.
// JSON numbers come out of `->>` as INTEGER or REAL like the values they were.

/** JSON parameters are kept well under D1's 2 MB per value. */
const JSON_PARAM_CHARS = 1_000_000;

/** `rows` as JSON arrays, split so that no parameter grows past JSON_PARAM_CHARS; `sizes` gets
 *  each row's JSON length. */
export function jsonRows(rows: readonly unknown[][], sizes?: number[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let chars = 2;
  for (const r of rows) {
    const t = JSON.stringify(r);
    sizes?.push(t.length);
    if (cur.length && chars + t.length + 1 > JSON_PARAM_CHARS) { out.push(`[${cur.join(',')}]`); cur = []; chars = 2; }
    cur.push(t);
    chars += t.length + 1;
  }
  if (cur.length) out.push(`[${cur.join(',')}]`);
  return out;
}
