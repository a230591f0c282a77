// Helpers for raw D1 statements. The schema (db/schema.ts, Drizzle) types the rows: raw SQL
// returns its snake_case column names, so Row<> renames the keys of Drizzle's $inferSelect.

type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}` : S;

/** A table's row as `SELECT *` returns it: `Row<typeof schema.slices>`. */
export type Row<T extends { $inferSelect: object }> = { [K in keyof T['$inferSelect'] as Snake<K & string>]: T['$inferSelect'][K] };

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
