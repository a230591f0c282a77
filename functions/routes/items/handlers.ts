import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { featureFilters } from '../../services/item-filters.ts';
import { exportItems, listItems } from '../../services/items.ts';
import type { listRegionItems } from './routes.ts';

const EXPORT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

export const listRegionItemsHandler: AppRouteHandler<typeof listRegionItems> = async (c) => {
  const { region } = c.req.valid('param');
  // The feature filters are in the schema for the docs; featureFilters reads them with the
  // attr.<key> ones (names that are data) from the raw query, checked in one place.
  const { format, surface: _s, language: _l, label_source: _ls, score_band: _b, evidence: _e, ...cell } = c.req.valid('query');
  requireAccess(c.get('principal'), 'read', region);
  const q = { ...cell, features: featureFilters(c.req.query()) };
  if (!format) return c.json(await listItems(c.env, region, q), 200);
  const body = await exportItems(c.env, region, q, format);
  return c.body(body, 200, {
    'content-type': EXPORT_TYPES[format],
    'content-disposition': `attachment; filename="${`items-${region}-${q.model}-${q.version}`.replace(/[^\w.-]/g, '_')}.${format}"`,
  });
};
