import type { AppRouteHandler } from '../../lib/openapi.ts';
import { regionScope, requireAccess } from '../../middleware/auth.ts';
import { forbidden } from '../../lib/errors.ts';
import { readCells } from '../../services/aggregates.ts';
import { compareCells } from '../../services/compare.ts';
import { getVersion } from '../../services/versions.ts';
import { lifecycle as stagesOf } from '../../services/lifecycle.ts';
import { releaseGate } from '../../services/gate.ts';
import { assertRegion } from '../../store/regions.ts';
import type { compare, gate, lifecycle } from './routes.ts';

export const compareHandler: AppRouteHandler<typeof compare> = async (c) => {
  const { region } = c.req.valid('param');
  const q = c.req.valid('query');
  requireAccess(c.get('principal'), 'read', region);
  await assertRegion(c.env.DB, region);
  const [from, to] = await Promise.all([getVersion(c.env.DB, q.model, q.from, 'from'), getVersion(c.env.DB, q.model, q.to, 'to')]);
  const [a, b] = await Promise.all([readCells(c.env.DB, region, q.model, q.from), readCells(c.env.DB, region, q.model, q.to)]);
  return c.json({
    region, model: q.model, from: { version: from.version, stage: from.stage }, to: { version: to.version, stage: to.stage },
    cells: compareCells(a, b),
  }, 200);
};

export const lifecycleHandler: AppRouteHandler<typeof lifecycle> = async (c) => {
  const q = c.req.valid('query');
  const p = c.get('principal');
  if (q.region) requireAccess(p, 'read', q.region);
  else if (p.kind === 'key') {
    // Without region= the stages pool every region: inherently global, so a key scoped to
    // some regions is refused (403) rather than shown others' numbers.
    requireAccess(p, 'read');
    if (!p.regions.includes('*')) throw forbidden('region: this key is scoped to some regions only; pass region= (all regions needs a key scoped to ["*"])');
  }
  const stages = await stagesOf(c.env.DB, q.model, q.region);
  return c.json({ model: q.model, region: q.region ?? null, stages }, 200);
};

/** A region key gets its own regions only (the gate's pass then covers those alone). */
export const gateHandler: AppRouteHandler<typeof gate> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const { model, version } = c.req.valid('param');
  return c.json(await releaseGate(c.env.DB, model, version, c.req.valid('query').baseline, regionScope(p)), 200);
};
