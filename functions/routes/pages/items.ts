// GET /scorecards/{region}/items: the items page of a cell, or (format=csv) its CSV export —
// under /scorecards so the login cookie covers the download link too.
import type { Context } from 'hono';
import type { PagesEnv } from './auth.ts';
import { ApiError } from '../../lib/errors.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { featureFilters } from '../../services/item-filters.ts';
import { exportItems, listItems, type ItemsQuery } from '../../services/items.ts';
import { regionName, regionVersions } from '../../services/page-data.ts';
import { itemsPage } from '../../pages/items.tsx';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';

const PAGE_SIZE = 100;
const OUTCOMES = new Set(['TP', 'TN', 'FP', 'FN', 'pending']);

export async function regionItemsPage(c: Context<PagesEnv>) {
  const region = (c.req.param('region') ?? '').toUpperCase();
  if (!/^[A-Z]{2}$/.test(region)) throw new ApiError(404, 'not_found', 'Regions are ISO 3166-1 alpha-2 codes such as BR.');
  requireAccess(c.get('principal'), 'read', region);
  const q = (name: string, max: number) => {
    const v = c.req.query(name);
    if (v === undefined || v === '') return undefined;
    if (v.length > max) throw new ApiError(400, 'invalid_request', `${name}: at most ${max} characters`);
    return v;
  };
  const outcome = q('outcome', 16);
  if (outcome !== undefined && !OUTCOMES.has(outcome)) throw new ApiError(400, 'invalid_request', `outcome: one of ${[...OUTCOMES].join(', ')}`);
  const [name, versions] = await Promise.all([regionName(c.env.DB, region), regionVersions(c.env.DB, region)]);
  if (name === null) throw new ApiError(404, 'unknown_region', `Unknown region '${region}'.`);
  const model = q('model', 128) ?? versions[0]?.model_id;
  const version = q('version', 64) ?? versions.find((v) => v.model_id === model)?.version;
  if (!model || !version) throw new ApiError(404, 'not_found', `No model version has data in ${region}.`);
  const query: ItemsQuery = {
    model, version, policy: q('policy', 64), signature: q('signature', 64), outcome: outcome as ItemsQuery['outcome'],
    slice_id: q('slice_id', 128), limit: PAGE_SIZE, cursor: q('cursor', 2048),
    population: c.req.query('population') === 'discovery' ? 'discovery' : undefined,
    features: featureFilters(Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''))),
  };
  if (c.req.query('format') === 'csv') {
    return c.body(await exportItems(c.env, region, query, 'csv'), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${`items-${region}-${model}-${version}`.replace(/[^\w.-]/g, '_')}.csv"`,
    });
  }
  const page = await listItems(c.env, region, query);
  return c.html(itemsPage({ region, regionName: name, query, page, signedIn: c.get('signedIn'), policies: POLICY_CODES }), 200);
}
