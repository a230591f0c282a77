// The region scorecard (SPEC §8): counts, failure rate and signature rates with Wilson
// intervals, per policy, and ranked recommendations — from aggregates only.
import { recommend } from '../../taxonomy/ranking.ts';
import { policyByCode, POLICY_CODES } from '../../taxonomy/policies.ts';
import { TAXONOMY_VERSION } from '../../taxonomy/config.ts';
import { ApiError, notFound } from '../lib/errors.ts';
import { byPrefix, cellsOfPacked, metric, packedCellsSql, type Cells } from './aggregates.ts';
import { COUNT, COUNTS_SQL, KEY, prefixRange, rateDenominator } from '../store/counters.ts';
import { effectiveMapping } from './mappings.ts';
import { rateOf } from './rates.ts';
import { regionPolicyCountsCached, SHIFT_SQL, sliceSignatures, type ShiftRow } from './slice-signatures.ts';
import { predecessorSql } from './versions.ts';
import { operatingSection } from './operating.ts';
import { OP_PREFIX } from '../store/operating-counts.ts';
import { addDelayValues, addHistograms, delayValuesStatement, histogramsStatement } from '../store/histograms.ts';

function counts(cs: Map<string, number>[]) {
  const sum = (m: string) => cs.reduce((s, c) => s + metric(c, m), 0);
  const items = sum(COUNT.items);
  const failures = sum(COUNT.failures);
  const excluded = sum(COUNT.excluded);
  const pending = sum(COUNT.pending);
  return {
    items, failures, excluded, pending,
    outcomes: { tp: sum('tp'), tn: sum('tn'), fp: sum('fp'), fn: sum('fn') },
    failure_rate: rateOf(failures - excluded, rateDenominator({ items, excluded, pending })),
    by_signature: signatureRates(byPrefix(cs, KEY.sig), { items, excluded, pending }),
  };
}

/** LBL.AMBIG is excluded from the model's rate: its own rate is over all labelled items (rateDenominator). */
function signatureRates(sig: Map<string, number>, c: { items: number; excluded: number; pending: number }) {
  return [...sig].map(([code, count]) => ({ code, count, rate: rateOf(count, rateDenominator(c, code)) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

type Row = Record<string, unknown>;

// Only the counters a scorecard uses (the item counts, outcomes, primary signatures, the
// calibration table and the operating counters 'op:' — the score histograms and delays are in
// `histograms`, store/histograms.ts; not secondaries or distributions): index range seeks on
// aggregates_region_cell.
const COUNTS = `${COUNTS_SQL}, 'tp', 'tn', 'fp', 'fn'`;
const OWN_CELLS_SQL = packedCellsSql(`SELECT policy, metric, value FROM aggregates WHERE region = ?1 AND model_id = ?2 AND model_version = ?3
  AND (metric IN (${COUNTS}) OR (${prefixRange(KEY.sig)}) OR (${prefixRange(KEY.cal)}) OR (${prefixRange(OP_PREFIX)}))`);
/** The predecessor's counters (?1 region, ?2 model, ?3 version), for VER.REGRESSION: counts and
 *  primary signatures only; the predecessor as predecessorSql finds it. */
const PREVIOUS_CELLS_SQL = `WITH pred AS (${predecessorSql('?2', '?3')}) ${packedCellsSql(`
  SELECT policy, metric, value FROM aggregates WHERE region = ?1 AND model_id = ?2 AND model_version = (SELECT version FROM pred)
  AND (metric IN (${COUNTS}) OR (${prefixRange(KEY.sig)}))`)}`;

/** The region (exists?), the version's stage, its predecessor and the region's overrides
 *  ([signature, mapping] pairs): one statement, one row (each statement of a batch costs the
 *  local D1 more than these lookups do). */
const CONTEXT_SQL = `WITH pred AS (${predecessorSql('?2', '?3')})
  SELECT (SELECT 1 FROM regions WHERE code = ?1) AS region_ok,
    (SELECT stage FROM model_versions WHERE model_id = ?2 AND version = ?3) AS stage,
    (SELECT version FROM pred) AS pred_version,
    (SELECT coalesce(json_group_array(json_array(signature, json(mapping))), '[]') FROM intervention_overrides WHERE region = ?1) AS overrides`;

/**
 * Everything a scorecard reads, in one D1 round trip (each is a network hop on Cloudflare): the
 * region, the version, its predecessor and the predecessor's counters, the overrides, the
 * region's counters and histograms, its latest slice and the distributions of that slice and
 * the one before, the delay values time to detect needs — each statement finds what it
 * depends on in SQL. Cross-region counts (REG.DISPARITY) come from a short per-instance cache.
 */
export async function buildScorecard(d1: D1Database, region: string, modelId: string, version: string) {
  const [batch, crossRegion] = await Promise.all([
    d1.batch<Row>([
      d1.prepare(CONTEXT_SQL).bind(region, modelId, version),
      d1.prepare(OWN_CELLS_SQL).bind(region, modelId, version),
      d1.prepare(PREVIOUS_CELLS_SQL).bind(region, modelId, version),
      d1.prepare(SHIFT_SQL).bind(region, modelId, version),
      histogramsStatement(d1, region, modelId, version),
      delayValuesStatement(d1, region, modelId, version),
    ]),
    regionPolicyCountsCached(d1, modelId, version),
  ]);
  const [contextRows, ownRows, previousRows, shiftRows, histRows, delayRows] = batch.map((r) => r.results);
  const context = contextRows[0] as { region_ok: number | null; stage: string | null; pred_version: string | null; overrides: string };
  if (!context.region_ok) throw new ApiError(404, 'unknown_region', `region: unknown region '${region}'`, { field: 'region' });
  if (context.stage === null) throw notFound(`version: model ${modelId} has no version '${version}' with slices`);
  const overrides = new Map((JSON.parse(context.overrides) as Array<[string, { code: string; weight: number }[]]>));
  const cells = cellsOfPacked(ownRows);
  const delays = addHistograms(cells, histRows);
  addDelayValues(delays, delayRows);
  const pred = context.pred_version === null ? undefined : { version: context.pred_version };
  const latestPk = (shiftRows as unknown as ShiftRow[]).reduce((m, r) => Math.max(m, r.slice_pk), -1);
  const slice_signatures = sliceSignatures({
    region, cells, crossRegion, mapping: effectiveMapping(overrides),
    previous: pred ? { version: pred.version, cells: cellsOfPacked(previousRows) } : null,
    shift: latestPk >= 0 ? { latestPk, rows: shiftRows as unknown as ShiftRow[] } : null,
  });
  const body = scorecardBody(cells, overrides);
  return {
    region, model: { id: modelId, version, stage: context.stage }, taxonomy_version: TAXONOMY_VERSION,
    ...body, ...operatingSection(region, cells, delays, body.recommendations), slice_signatures,
  };
}

export function scorecardBody(cells: Cells, overrides: Map<string, { code: string; weight: number }[]>) {
  const policies = [...cells.keys()].sort((a, b) => POLICY_CODES.indexOf(a) - POLICY_CODES.indexOf(b));
  const all = counts([...cells.values()]);
  const by_policy = policies.map((p) => {
    const def = policyByCode(p);
    return { policy: p, severity: def?.severity ?? 1, threshold: def?.threshold ?? null, ...counts([cells.get(p)!]) };
  });
  const failures = by_policy.flatMap((b) => b.by_signature.map(({ code, count }) => ({ signature: code, policy: b.policy, failures: count })));
  const recommendations = recommend({
    failures,
    mapping: effectiveMapping(overrides),
    severity: (p: string) => policyByCode(p)?.severity ?? 1,
  });
  const { outcomes, ...rest } = all;
  return { ...rest, outcomes, by_policy, recommendations };
}
