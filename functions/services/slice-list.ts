// GET /v1/regions/{region}/slices (SPEC §10): a region's slices, newest first, in pages with an
// opaque cursor. Order (created_at DESC, slice_id DESC) is total — slice_id is unique in a
// region — so a page starts strictly after the last row of the previous one: ties on
// created_at never make a walk skip or repeat a slice, and slices created during a walk never
// shift it (they are newer than its start).
import { badRequest } from '../lib/errors.ts';
import { summaryBody, type SliceRow, type SliceStatus } from '../store/slices.ts';

export interface SliceListEntry {
  slice_id: string; model: { id: string; version: string; stage: string }; created_at: string; status: SliceStatus;
  items: number; failures: number; excluded: number; pending: number;
}

const LIST_SQL = `SELECT * FROM slices WHERE region = ?1
  AND (?2 IS NULL OR model_id = ?2) AND (?3 IS NULL OR model_version = ?3)
  AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND slice_id < ?5))
  ORDER BY created_at DESC, slice_id DESC LIMIT ?6`;

/** The position after a row: base64url of JSON [created_at, slice_id]. */
export const encodeCursor = (row: { created_at: string; slice_id: string }) =>
  btoa(JSON.stringify([row.created_at, row.slice_id])).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch { /* reported below */ }
  throw badRequest('cursor: not a cursor of this route (pass next_cursor as it was answered)', { field: 'cursor' });
}

export async function listSlices(
  d1: D1Database, region: string, q: { model?: string; version?: string; limit: number; cursor?: string },
): Promise<{ slices: SliceListEntry[]; next_cursor: string | null }> {
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
  const { results } = await d1.prepare(LIST_SQL)
    .bind(region, q.model ?? null, q.version ?? null, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1).all<SliceRow>();
  const page = results.slice(0, q.limit);
  return {
    slices: page.map((row) => {
      // The counts as the slice's summary shows them (GET …/slices/{slice_id}).
      const s = summaryBody(row);
      return {
        slice_id: s.slice_id, model: { id: row.model_id, version: row.model_version, stage: row.model_stage },
        created_at: row.created_at, status: s.status, items: s.items, failures: s.failures, excluded: s.excluded, pending: s.pending,
      };
    }),
    next_cursor: results.length > q.limit ? encodeCursor(page[page.length - 1]) : null,
  };
}
