// The region scorecard (SPEC §8): counts, failure rate and signature rates with Wilson
// intervals, per policy, and ranked recommendations — from aggregates only.
import { recommend } from '../../taxonomy/ranking.ts';
import { policyByCode, POLICY_CODES } from '../../taxonomy/policies.ts';
import { TAXONOMY_VERSION } from '../../taxonomy/config.ts';
import { notFound } from '../lib/errors.ts';
import { byPrefix, metric, readCells, type Cells } from './aggregates.ts';
import { effectiveMapping, regionOverrides } from './mappings.ts';
import { rateOf } from './rates.ts';
import { sliceSignatures } from './slice-signatures.ts';

const AMBIG = 'LBL.AMBIG';

function counts(cs: Map<string, number>[]) {
  const sum = (m: string) => cs.reduce((s, c) => s + metric(c, m), 0);
  const items = sum('items');
  const failures = sum('failures');
  const excluded = sum('excluded');
  const pending = sum('pending');
  const n = items - excluded - pending;
  return {
    items, failures, excluded, pending,
    outcomes: { tp: sum('tp'), tn: sum('tn'), fp: sum('fp'), fn: sum('fn') },
    failure_rate: rateOf(failures - excluded, n),
    by_signature: signatureRates(byPrefix(cs, 'sig:'), n, items - pending),
  };
}

/** LBL.AMBIG is excluded from the model's rate: its own rate is over all labelled items. */
function signatureRates(sig: Map<string, number>, n: number, labelled: number) {
  return [...sig].map(([code, count]) => ({ code, count, rate: rateOf(count, code === AMBIG ? labelled : n) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

export async function modelStage(d1: D1Database, modelId: string, version: string): Promise<string> {
  const mv = await d1.prepare('SELECT stage FROM model_versions WHERE model_id = ? AND version = ?')
    .bind(modelId, version).first<{ stage: string }>();
  if (!mv) throw notFound(`model ${modelId} version ${version} has no slices`);
  return mv.stage;
}

export async function buildScorecard(d1: D1Database, region: string, modelId: string, version: string) {
  const [stage, cells, overrides] = await Promise.all([
    modelStage(d1, modelId, version),
    readCells(d1, region, modelId, version),
    regionOverrides(d1, region),
  ]);
  const slice_signatures = await sliceSignatures(d1, region, modelId, version, cells, effectiveMapping(overrides));
  return { region, model: { id: modelId, version, stage }, taxonomy_version: TAXONOMY_VERSION, ...scorecardBody(cells, overrides), slice_signatures };
}

export function scorecardBody(cells: Cells, overrides: Map<string, { code: string; weight: number }[]>) {
  const policies = [...cells.keys()].sort((a, b) => POLICY_CODES.indexOf(a) - POLICY_CODES.indexOf(b));
  const all = counts([...cells.values()]);
  const by_policy = policies.map((p) => {
    const def = policyByCode(p);
    return { policy: p, severity: def?.severity ?? 1, threshold: def?.threshold ?? null, ...counts([cells.get(p)!]) };
  });
  const failures = policies.flatMap((p) => [...byPrefix([cells.get(p)!], 'sig:')].map(([signature, n]) => ({ signature, policy: p, failures: n })));
  const recommendations = recommend({
    failures,
    mapping: effectiveMapping(overrides),
    severity: (p: string) => policyByCode(p)?.severity ?? 1,
  });
  const { outcomes, ...rest } = all;
  return { ...rest, outcomes, by_policy, recommendations };
}
