import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { notFound } from '../../lib/errors.ts';
import { submitSlice as submit } from '../../ingest/submit.ts';
import { onSlicePublished } from '../../published.ts';
import { currentSummary, getSlice } from '../../store/slices.ts';
import { findCurrentItem } from '../../store/items/editor.ts';
import { isUnprobeable } from '../../store/counters.ts';
import type { getItemRoute, getSliceRoute, submitSlice } from './routes.ts';

export const submitSliceHandler: AppRouteHandler<typeof submitSlice> = async (c) => {
  const { region } = c.req.valid('param');
  requireAccess(c.get('principal'), 'submit', region);
  const r = await submit(c.env, region, c.req.raw, onSlicePublished);
  return r.status === 202 ? c.json(r.body, 202) : c.json(r.body, r.status);
};

async function sliceOr404(d1: D1Database, region: string, sliceId: string) {
  const row = await getSlice(d1, region, sliceId);
  if (!row) throw notFound(`slice_id: no slice '${sliceId}' in ${region}`);
  return row;
}

export const getSliceHandler: AppRouteHandler<typeof getSliceRoute> = async (c) => {
  const { region, slice_id } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  const row = await sliceOr404(c.env.DB, region, slice_id);
  return c.json(await currentSummary(c.env.DB, row), 200);
};

export const getItemHandler: AppRouteHandler<typeof getItemRoute> = async (c) => {
  const { region, slice_id, item_id } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  const row = await sliceOr404(c.env.DB, region, slice_id);
  // Its current record: the label overlay (labels changed after ingest) over the item store.
  const found = row.status === 'complete' || row.status === 'probing' ? await findCurrentItem(c.env.DB, row, item_id) : null;
  if (!found) throw notFound(`item_id: no item '${item_id}' in slice '${slice_id}'${row.status === 'processing' ? ' (slice still processing)' : ''}`);
  const { d, t, i } = found;
  return c.json({
    slice_id, item_id, outcome: d.outcome, failure: d.failure, excluded: d.excluded, threshold: t,
    primary: d.primary, secondary: d.secondary, item: i as unknown as Record<string, unknown>,
    ...(isUnprobeable(i) ? { probe_error: i.probe_error as string } : {}),
  }, 200);
};
