import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { validateMapping } from '../../../taxonomy/mappings.ts';
import { deleteOverride as remove, overrideAudit, setOverride } from '../../services/overrides.ts';
import type { deleteOverride, listAudit, putOverride } from './routes.ts';

export const putOverrideHandler: AppRouteHandler<typeof putOverride> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { region, signature } = c.req.valid('param');
  const { interventions } = c.req.valid('json');
  const problem = validateMapping(interventions);
  if (problem) throw new ApiError(400, 'invalid_request', problem, { field: problem.split(/[ :]/)[0] });
  const next = interventions.map(({ code, weight }) => ({ code, weight }));
  const previous = await setOverride(c.env.DB, region, signature, next, p.id);
  return c.json({ region, signature, overridden: true, interventions: next, previous }, 200);
};

export const deleteOverrideHandler: AppRouteHandler<typeof deleteOverride> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { region, signature } = c.req.valid('param');
  const removed = await remove(c.env.DB, region, signature, p.id);
  if (!removed) throw notFound(`signature: region ${region} has no override for ${signature}`);
  return c.json({ region, signature, overridden: false, interventions: removed.restored, previous: removed.previous }, 200);
};

export const listAuditHandler: AppRouteHandler<typeof listAudit> = async (c) => {
  const { region } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  return c.json({ region, entries: await overrideAudit(c.env.DB, region) }, 200);
};
