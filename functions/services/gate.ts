// The release gate (SPEC §14): per region, the §9 comparison of a version against its baseline
// (the predecessor unless given) — fail when any cell regressed, no_data when either version has
// fewer than 30 items of n there. The statistics are compare's (one BH family per region).
import { CONFIG } from '../../taxonomy/config.ts';
import { notFound, badRequest } from '../lib/errors.ts';
import { COUNTS_SQL, KEY, prefixRange } from '../store/counters.ts';
import type { Cells } from './aggregates.ts';
import { cellN, compareCells, type Side } from './compare.ts';
import { getVersion, predecessor } from './versions.ts';

export type GateVerdict = 'pass' | 'fail' | 'no_data';
export interface GateCell { policy: string; signature: string; from: Side; to: Side; diff: { value: number; low: number; high: number }; q: number }
export interface GateRegion { region: string; verdict: GateVerdict; n: { baseline: number; version: number }; regressed: GateCell[] }
export interface GateReport { model: string; version: string; baseline: string; pass: boolean; regions: GateRegion[] }

// Both versions' counts and primary signatures, every region (or the scope's, through one JSON
// parameter: a key's region list may pass D1's 100 bound parameters).
const CELLS_SQL = `SELECT region, model_version AS version, policy, metric, value FROM aggregates
  WHERE model_id = ?1 AND model_version IN (?2, ?3) AND (metric IN (${COUNTS_SQL}) OR (${prefixRange(KEY.sig)}))
  AND (?4 IS NULL OR region IN (SELECT value FROM json_each(?4)))`;

type Row = { region: string; version: string; policy: string; metric: string; value: number };

/** region → version → cells. */
function group(rows: Row[]): Map<string, Map<string, Cells>> {
  const out = new Map<string, Map<string, Cells>>();
  for (const r of rows) {
    let byVersion = out.get(r.region);
    if (!byVersion) out.set(r.region, (byVersion = new Map()));
    let cells = byVersion.get(r.version);
    if (!cells) byVersion.set(r.version, (cells = new Map()));
    let c = cells.get(r.policy);
    if (!c) cells.set(r.policy, (c = new Map()));
    c.set(r.metric, r.value);
  }
  return out;
}

const overallN = (cells: Cells | undefined) => [...(cells?.values() ?? [])].reduce((s, c) => s + cellN(c), 0);

/** One region's verdict from the two versions' cells. */
export function regionGate(region: string, before: Cells | undefined, after: Cells | undefined): GateRegion {
  const n = { baseline: overallN(before), version: overallN(after) };
  // Data in one version only, or too little in either: nothing to decide on.
  if (n.baseline < CONFIG.minCellItems || n.version < CONFIG.minCellItems) return { region, verdict: 'no_data', n, regressed: [] };
  const regressed = compareCells(before!, after!).filter((c) => c.verdict === 'regressed')
    .map((c) => ({ policy: c.policy, signature: c.signature, from: c.from, to: c.to, diff: c.diff!, q: c.q! }));
  return { region, verdict: regressed.length ? 'fail' : 'pass', n, regressed };
}

/** The gate of `version` against `baseline` (default: the predecessor), over the regions of `scope` (null: all). */
export async function releaseGate(d1: D1Database, model: string, version: string, baseline: string | undefined, scope: string[] | null): Promise<GateReport> {
  const known = await d1.prepare('SELECT 1 AS ok FROM model_versions WHERE model_id = ? LIMIT 1').bind(model).first();
  if (!known) throw notFound(`model: no model '${model}' with slices`);
  await getVersion(d1, model, version, 'version');
  let base: string;
  if (baseline !== undefined) {
    if (baseline === version) throw badRequest('baseline: must be another version than the one gated', { field: 'baseline' });
    base = (await getVersion(d1, model, baseline, 'baseline')).version;
  } else {
    const pred = await predecessor(d1, model, version);
    if (!pred) throw notFound(`baseline: version '${version}' of model ${model} is its first version (no predecessor); pass baseline=`);
    base = pred.version;
  }
  const { results } = await d1.prepare(CELLS_SQL).bind(model, base, version, scope ? JSON.stringify(scope) : null).all<Row>();
  const regions = [...group(results)].sort(([a], [b]) => a.localeCompare(b))
    .map(([region, byVersion]) => regionGate(region, byVersion.get(base), byVersion.get(version)));
  return { model, version, baseline: base, pass: regions.every((r) => r.verdict !== 'fail'), regions };
}
