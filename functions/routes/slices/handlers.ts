import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { badRequest } from '../../lib/errors.ts';
import { submitSlice as submit } from '../../ingest/submit.ts';
import { onPublished } from '../../hooks.ts';
import { currentSummary } from '../../store/slices.ts';
import { itemDiagnosis, sliceOr404 } from '../../services/item-diagnosis.ts';
import { assertRegion } from '../../store/regions.ts';
import { listSlices } from '../../services/slice-list.ts';
import type { getItemRoute, getSliceRoute, listSlicesRoute, submitSlice } from './routes.ts';

export const submitSliceHandler: AppRouteHandler<typeof submitSlice> = async (c) => {
  const { region } = c.req.valid('param');
  requireAccess(c.get('principal'), 'submit', region);
  const r = await submit(c.env, region, c.req.raw, onPublished(c.env));
  return r.status === 202 ? c.json(r.body, 202) : c.json(r.body, r.status);
};

export const getSliceHandler: AppRouteHandler<typeof getSliceRoute> = async (c) => {
  const { region, slice_id } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  const row = await sliceOr404(c.env.DB, region, slice_id);
  return c.json(await currentSummary(c.env.DB, row), 200);
};

export const getItemHandler: AppRouteHandler<typeof getItemRoute> = async (c) => {
  const { region, slice_id, item_id } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  return c.json((await itemDiagnosis(c.env, region, slice_id, item_id)).body, 200);
};

export const listSlicesHandler: AppRouteHandler<typeof listSlicesRoute> = async (c) => {
  const { region } = c.req.valid('param');
  const q = c.req.valid('query');
  requireAccess(c.get('principal'), 'read', region);
  if (q.version !== undefined && q.model === undefined) throw badRequest('version: only used together with model', { field: 'version' });
  await assertRegion(c.env.DB, region);
  return c.json(await listSlices(c.env.DB, region, q), 200);
};
