// GET /v1/lifecycle: a model's counts and signature rates by lifecycle stage (pretrain → sft →
// alignment → production), over every region or one; time to detect pooled over the stage's
// versions and policies (SPEC §12).
import { notFound } from '../lib/errors.ts';
import { COUNT, COUNTS_SQL, KEY, prefixRange, rateDenominator } from '../store/counters.ts';
import { listVersions, STAGES } from './versions.ts';
import { rateOf } from './rates.ts';
import { pooledTimeToDetect } from '../store/histograms.ts';

export async function lifecycle(d1: D1Database, model: string, region?: string) {
  const versions = await listVersions(d1, model);
  if (!versions.length) throw notFound(`model: no versions of '${model}' have slices`);
  const sql = `SELECT model_version, metric, SUM(value) AS value FROM aggregates WHERE model_id = ?${region ? ' AND region = ?' : ''}
    AND (metric IN (${COUNTS_SQL}) OR ${prefixRange(KEY.sig)}) GROUP BY model_version, metric`;
  const stmt = d1.prepare(sql);
  const stageOf = new Map(versions.map((v) => [v.version, v.stage]));
  const stages = STAGES.filter((s) => versions.some((v) => v.stage === s));
  const [{ results }, detect] = await Promise.all([
    (region ? stmt.bind(model, region) : stmt.bind(model)).all<{ model_version: string; metric: string; value: number }>(),
    pooledTimeToDetect(d1, model, region, new Map(stages.map((s) => [s, versions.filter((v) => v.stage === s).map((v) => v.version)]))),
  ]);
  return stages.map((stage) => {
    const m = new Map<string, number>();
    for (const r of results) if (stageOf.get(r.model_version) === stage) m.set(r.metric, (m.get(r.metric) ?? 0) + r.value);
    const g = (k: string) => m.get(k) ?? 0;
    const counts = { items: g(COUNT.items), failures: g(COUNT.failures), excluded: g(COUNT.excluded), pending: g(COUNT.pending) };
    const by_signature = [...m].filter(([k, v]) => k.startsWith(KEY.sig) && v > 0)
      .map(([k, count]) => {
        const code = k.slice(KEY.sig.length);
        return { code, count, rate: rateOf(count, rateDenominator(counts, code)) };
      })
      .sort((x, y) => y.count - x.count || x.code.localeCompare(y.code));
    return {
      stage, versions: versions.filter((v) => v.stage === stage).map((v) => v.version),
      ...counts, failure_rate: rateOf(counts.failures - counts.excluded, rateDenominator(counts)), by_signature,
      time_to_detect: detect.get(stage) ?? null,
    };
  });
}
