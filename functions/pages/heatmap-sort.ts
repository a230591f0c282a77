// Sorting the heatmap's rows by any column, server-side (`?sort=<col>&dir=asc|desc`: links in
// the header, no scripts). Columns: region, n, failure_rate, or a primary signature code (by its
// rate). A row without a rate (n = 0) goes last in either direction; ties keep region order.
import { ApiError } from '../lib/errors.ts';
import type { HeatmapRow } from '../services/heatmap.ts';

export type SortDir = 'asc' | 'desc';
export interface HeatSort { col: string; dir: SortDir }

export const DEFAULT_SORT: HeatSort = { col: 'region', dir: 'asc' };
const FIXED = ['region', 'n', 'failure_rate'];
// A signature code (FUS.SUPPRESS.audio); one not shown in this map sorts like an empty column.
const CODE = /^[A-Z]{2,8}(\.[A-Za-z_]{1,32}){0,3}$/;

/** The sort of the query, or 400 naming the parameter. */
export function parseSort(col: string | undefined, dir: string | undefined): HeatSort {
  if (col !== undefined && !FIXED.includes(col) && !CODE.test(col)) {
    throw new ApiError(400, 'invalid_request', `sort: no column '${col.slice(0, 64)}' (region, n, failure_rate or a signature code).`);
  }
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc') throw new ApiError(400, 'invalid_request', 'dir: asc or desc.');
  const c = col ?? DEFAULT_SORT.col;
  return { col: c, dir: (dir as SortDir | undefined) ?? defaultDir(c) };
}

/** Regions read A→Z first; numbers largest first (where the problems are). */
export const defaultDir = (col: string): SortDir => (col === 'region' ? 'asc' : 'desc');

/** The direction a header link asks for: the other one on the sorted column, else the column's default. */
export const linkDir = (current: HeatSort, col: string): SortDir =>
  current.col === col ? (current.dir === 'asc' ? 'desc' : 'asc') : defaultDir(col);

function valueOf(row: HeatmapRow, col: string): number | null {
  if (col === 'n') return row.failure_rate.n;
  if (col === 'failure_rate') return row.failure_rate.value;
  return row.cells.find((c) => c.code === col)?.rate.value ?? null;
}

export function sortRows(rows: readonly HeatmapRow[], s: HeatSort): HeatmapRow[] {
  const byRegion = (a: HeatmapRow, b: HeatmapRow) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0);
  const sign = s.dir === 'asc' ? 1 : -1;
  if (s.col === 'region') return [...rows].sort((a, b) => sign * byRegion(a, b));
  return [...rows].sort((a, b) => {
    const x = valueOf(a, s.col);
    const y = valueOf(b, s.col);
    if (x === null || y === null) return x === y ? byRegion(a, b) : x === null ? 1 : -1;
    return x !== y ? sign * (x - y) : byRegion(a, b);
  });
}
