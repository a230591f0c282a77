// The slices table as the layers read it: a slice's row by (region, slice_id) or by pk.
// Claiming and committing a slice are ingest's (ingest/claim.ts, ingest/commit.ts).
import type { slices } from '../../db/schema.ts';
import type { Row } from '../lib/db.ts';
import { KEY, prefixRange, UNPROBEABLE } from './counters.ts';

export type SliceStatus = 'processing' | 'probing' | 'complete' | 'failed';

/** A slices row as SQL returns it (snake_case columns). */
export type SliceRow = Omit<Row<typeof slices>, 'status'> & { status: SliceStatus };

export async function getSlice(d1: D1Database, region: string, sliceId: string): Promise<SliceRow | null> {
  return d1.prepare('SELECT * FROM slices WHERE region = ? AND slice_id = ?').bind(region, sliceId).first<SliceRow>();
}

export async function sliceByPk(d1: D1Database, pk: number): Promise<SliceRow | null> {
  return d1.prepare('SELECT * FROM slices WHERE pk = ?').bind(pk).first<SliceRow>();
}

/** A slice's counts as its summary shows them. */
export interface SliceSummary { items: number; failures: number; excluded: number; pending: number; by_signature: Record<string, number> }

export interface SliceSummaryBody extends SliceSummary { slice_id: string; status: SliceStatus; error?: string; unprobeable?: number }

export function summaryBody(row: SliceRow, bySignature?: Record<string, number>): SliceSummaryBody {
  return {
    slice_id: row.slice_id, status: row.status, items: row.items, failures: row.failures,
    excluded: row.excluded, pending: row.pending, by_signature: bySignature ?? JSON.parse(row.by_signature),
    ...(row.error ? { error: row.error } : {}),
  };
}

/** The summary with `by_signature` read from the slice's counters, which label changes and
 *  probes keep current (the JSON column is the value at commit), and `unprobeable`: items the
 *  GPU backend can never score (each says why in its `probe_error`). */
export async function currentSummary(d1: D1Database, row: SliceRow): Promise<SliceSummaryBody> {
  const { results } = await d1.prepare(
    `SELECT metric, SUM(value) AS n FROM slice_aggregates WHERE slice_pk = ? AND (${prefixRange(KEY.sig)} OR metric = '${UNPROBEABLE}')
     GROUP BY metric HAVING n != 0 ORDER BY metric`,
  ).bind(row.pk).all<{ metric: string; n: number }>();
  const unprobeable = results.find((r) => r.metric === UNPROBEABLE)?.n ?? 0;
  const sigs = results.filter((r) => r.metric !== UNPROBEABLE);
  // Only when there are any: a slice without them answers exactly as its POST did.
  return { ...summaryBody(row, Object.fromEntries(sigs.map((r) => [r.metric.slice(KEY.sig.length), r.n]))), ...(unprobeable ? { unprobeable } : {}) };
}
