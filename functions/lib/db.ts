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

// Reads the other way: many (key, number) rows packed by SQLite into one JSON object
// (json_group_object), because D1 hands each row over as its own object — a scorecard's ~700
// counter rows cost more there than parsing one object per policy. A REAL is written as its
// 17-significant-digit text (printf's '!' flag: correctly rounded, so Number() gives back the
// same double): SQLite builds differ in how JSON renders a REAL (node:sqlite 3.51 writes 15
// digits, 5.2989999999999995 → 5.299), and counters must read back exactly.

/** SQL: the JSON object `key` → `value` of a group's rows (an aggregate; parse with numbersOf). */
export const jsonNumbers = (key: string, value: string) =>
  `json_group_object(${key}, CASE WHEN ${value} = CAST(${value} AS INTEGER) THEN CAST(${value} AS INTEGER) ELSE printf('%!.17g', ${value}) END)`;

/** The entries of a jsonNumbers object, in its order. */
export function numbersOf(json: string): Array<[string, number]> {
  return Object.entries(JSON.parse(json) as Record<string, number | string>).map(([k, v]) => [k, typeof v === 'string' ? Number(v) : v]);
}
