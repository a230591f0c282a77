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

