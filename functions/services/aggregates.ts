// Reads the counters kept at ingest. Never scans items.
import { prefixRange } from '../store/counters.ts';
import { jsonNumbers, numbersOf } from '../lib/db.ts';
import { OP_PREFIX } from '../store/operating-counts.ts';
import { addHistograms, histogramsStatement } from '../store/histograms.ts';
export type Cells = Map<string, Map<string, number>>; // policy → metric → value

// The operating counters (SPEC §12) are read only by who asks for them; with them come the
// score histograms, kept packed in `histograms` (store/histograms.ts).
const WITHOUT_OPERATING = `AND NOT (${prefixRange(OP_PREFIX)})`;

/**
 * Counter rows packed in SQL (lib/db.ts jsonNumbers says why): `select` yields (policy, metric,
 * value) rows, and the answer is ONE row per policy whose `m` is a JSON object metric → value,
 * in metric order; exact (test/worker/store/packed-cells.test.ts).
 */
export const packedCellsSql = (select: string) =>
  `SELECT policy, ${jsonNumbers('metric', 'value')} AS m FROM (${select} ORDER BY policy, metric) GROUP BY policy`;

/** The rows of packedCellsSql as cells. */
export function cellsOfPacked(rows: readonly Record<string, unknown>[], into: Cells = new Map()): Cells {
  for (const r of rows as Array<{ policy: string; m: string }>) into.set(r.policy, new Map(numbersOf(r.m)));
  return into;
}

export async function readCells(d1: D1Database, region: string, modelId: string, version: string, opts: { operating?: boolean } = {}): Promise<Cells> {
  const counters = d1.prepare(packedCellsSql(
    `SELECT policy, metric, value FROM aggregates WHERE region = ?1 AND model_id = ?2 AND model_version = ?3 ${opts.operating ? '' : WITHOUT_OPERATING}`,
  )).bind(region, modelId, version);
  const [rows, hist] = await d1.batch<Record<string, unknown>>(opts.operating ? [counters, histogramsStatement(d1, region, modelId, version)] : [counters]);
  const cells = cellsOfPacked(rows.results);
  if (hist) addHistograms(cells, hist.results);
  return cells;
}

export const metric = (c: Map<string, number> | undefined, m: string) => c?.get(m) ?? 0;

/** Sums a metric over all policies. */
export function total(cells: Cells, m: string): number {
  let s = 0;
  for (const c of cells.values()) s += c.get(m) ?? 0;
  return s;
}

/** {suffix: count} for every metric starting with `prefix`, over the given cells. */
export function byPrefix(cs: Iterable<Map<string, number>>, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of cs) for (const [k, v] of c) if (k.startsWith(prefix) && v) out.set(k.slice(prefix.length), (out.get(k.slice(prefix.length)) ?? 0) + v);
  return out;
}
