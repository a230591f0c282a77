// The global heatmap (regions × primary signatures) for one model version, optionally for one
// policy — from aggregates only, in ONE statement on the covering index aggregates_model_metric
// (model_id, model_version, metric, region, policy, value). Rates follow SPEC §9 exactly as the
// scorecard computes them: k / (items − excluded − pending), LBL.AMBIG over labelled items.
//
// The statement sums over policies in SQLite (GROUP BY metric, region follows the index order: no
// temporary B-tree), so D1 returns one row per region × metric instead of one per region ×
// policy × metric (8× fewer at 8 policies). The two halves of the UNION ALL are the two metric
// ranges (the four counts; 'sig:' … 'sig;'), each an index range seek: the plain OR form lets
// SQLite use the index range too, but not once GROUP BY is added (it then scans every metric of
// the version, calibration and score bins included).
import { bySignatureOrder } from '../../taxonomy/signatures/index.ts';
import { COUNT, KEY, prefixRange, rateDenominator } from '../store/counters.ts';
import { metric } from './aggregates.ts';
import { rateOf, type RateOut } from './rates.ts';

const part = (metrics: string) => `SELECT region, metric, SUM(value) AS value FROM aggregates
  WHERE model_id = ? AND model_version = ? AND ${metrics} AND (? IS NULL OR policy = ?) GROUP BY metric, region`;

/** Binds (model, version, policy|null, policy|null) twice: see heatmapParams. */
export const HEATMAP_SQL = `${part("metric IN ('items', 'excluded', 'pending', 'failures')")}
  UNION ALL ${part(prefixRange(KEY.sig))}`;

export const heatmapParams = (modelId: string, version: string, policy: string | null) =>
  [modelId, version, policy, policy, modelId, version, policy, policy];


export interface HeatmapCell { code: string; count: number; rate: RateOut }
export interface HeatmapRow {
  region: string;
  items: number; failures: number; excluded: number; pending: number;
  failure_rate: RateOut;
  /** Primary signature → cell; only codes with a count somewhere in the map, in `signatures` order. */
  cells: HeatmapCell[];
}
export interface Heatmap {
  model: string; version: string; policy: string | null;
  /** Primary signature codes with a non-zero count in any shown row, in precedence order. */
  signatures: string[];
  rows: HeatmapRow[];
}

/**
 * @param policy only this policy's cells (null: all policies summed)
 * @param visible which regions the reader may see (rows of other regions are dropped)
 */
export async function buildHeatmap(
  d1: D1Database, modelId: string, version: string, policy: string | null,
  visible: (region: string) => boolean = () => true,
): Promise<Heatmap> {
  const { results } = await d1.prepare(HEATMAP_SQL).bind(...heatmapParams(modelId, version, policy))
    .all<{ region: string; metric: string; value: number }>();
  const byRegion = new Map<string, Map<string, number>>(); // region → metric → Σ value over the chosen policies
  for (const r of results) {
    if (!visible(r.region)) continue;
    let m = byRegion.get(r.region);
    if (!m) byRegion.set(r.region, (m = new Map()));
    m.set(r.metric, r.value);
  }
  const codes = new Set<string>();
  for (const m of byRegion.values()) for (const [k, v] of m) if (k.startsWith(KEY.sig) && v > 0) codes.add(k.slice(KEY.sig.length));
  const signatures = [...codes].sort(bySignatureOrder);
  const rows: HeatmapRow[] = [...byRegion.keys()].sort().map((region) => {
    const m = byRegion.get(region)!;
    const items = metric(m, COUNT.items);
    const failures = metric(m, COUNT.failures);
    const excluded = metric(m, COUNT.excluded);
    const pending = metric(m, COUNT.pending);
    const n = rateDenominator({ items, excluded, pending });
    return {
      region, items, failures, excluded, pending,
      failure_rate: rateOf(failures - excluded, n),
      cells: signatures.map((code) => {
        const count = metric(m, KEY.sig + code);
        return { code, count, rate: rateOf(count, rateDenominator({ items, excluded, pending }, code)) };
      }),
    };
  }).filter((r) => r.items > 0);
  return { model: modelId, version, policy, signatures, rows };
}
