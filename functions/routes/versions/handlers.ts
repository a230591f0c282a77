import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { ApiError, forbidden, notFound } from '../../lib/errors.ts';
import { readCells } from '../../services/aggregates.ts';
import { compareCells } from '../../services/compare.ts';
import { getVersion, listVersions, STAGES } from '../../services/versions.ts';
import { rateOf } from '../../services/rates.ts';
import type { compare, lifecycle } from './routes.ts';

export const compareHandler: RouteHandler<typeof compare, AppEnv> = async (c) => {
  const { region } = c.req.valid('param');
  const q = c.req.valid('query');
  requireAccess(c.get('principal'), 'read', region);
  const known = await c.env.DB.prepare('SELECT 1 AS ok FROM regions WHERE code = ?').bind(region).first();
  if (!known) throw new ApiError(404, 'unknown_region', `region: unknown region '${region}'`, { field: 'region' });
  const [from, to] = await Promise.all([getVersion(c.env.DB, q.model, q.from, 'from'), getVersion(c.env.DB, q.model, q.to, 'to')]);
  const [a, b] = await Promise.all([readCells(c.env.DB, region, q.model, q.from), readCells(c.env.DB, region, q.model, q.to)]);
  return c.json({
    region, model: q.model, from: { version: from.version, stage: from.stage }, to: { version: to.version, stage: to.stage },
    cells: compareCells(a, b),
  }, 200);
};

export const lifecycleHandler: RouteHandler<typeof lifecycle, AppEnv> = async (c) => {
  const q = c.req.valid('query');
  const p = c.get('principal');
  if (q.region) requireAccess(p, 'read', q.region);
  else if (p.kind === 'key') {
    // Without region= the stages pool every region: inherently global, so a key scoped to
    // some regions is refused (403) rather than shown others' numbers.
    requireAccess(p, 'read');
    if (!p.regions.includes('*')) throw forbidden('region: this key is scoped to some regions only; pass region= (all regions needs a key scoped to ["*"])');
  }
  const versions = await listVersions(c.env.DB, q.model);
  if (!versions.length) throw notFound(`model: no versions of '${q.model}' have slices`);
  const sql = `SELECT model_version, metric, SUM(value) AS value FROM aggregates WHERE model_id = ?${q.region ? ' AND region = ?' : ''}
    AND (metric IN ('items', 'failures', 'excluded', 'pending') OR metric LIKE 'sig:%') GROUP BY model_version, metric`;
  const stmt = c.env.DB.prepare(sql);
  const { results } = await (q.region ? stmt.bind(q.model, q.region) : stmt.bind(q.model)).all<{ model_version: string; metric: string; value: number }>();
  const stageOf = new Map(versions.map((v) => [v.version, v.stage]));
  const stages = STAGES.filter((s) => versions.some((v) => v.stage === s)).map((stage) => {
    const m = new Map<string, number>();
    for (const r of results) if (stageOf.get(r.model_version) === stage) m.set(r.metric, (m.get(r.metric) ?? 0) + r.value);
    const g = (k: string) => m.get(k) ?? 0;
    const n = g('items') - g('excluded') - g('pending');
    const by_signature = [...m].filter(([k, v]) => k.startsWith('sig:') && v > 0)
      .map(([k, count]) => {
        const code = k.slice(4);
        return { code, count, rate: rateOf(count, code === 'LBL.AMBIG' ? g('items') - g('pending') : n) };
      })
      .sort((x, y) => y.count - x.count || x.code.localeCompare(y.code));
    return {
      stage, versions: versions.filter((v) => v.stage === stage).map((v) => v.version),
      items: g('items'), failures: g('failures'), excluded: g('excluded'), pending: g('pending'),
      failure_rate: rateOf(g('failures') - g('excluded'), n), by_signature,
    };
  });
  return c.json({ model: q.model, region: q.region ?? null, stages }, 200);
};
