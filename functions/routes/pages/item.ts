// GET /scorecards/{region}/slices/{slice}/items/{item}: one item's diagnosis page. The item is
// read by the item route's own service (itemDiagnosis: 404 for an unknown slice or item), with
// the catalogue text of its signatures and its votes.
import type { Context } from 'hono';
import type { PagesEnv } from './auth.ts';
import { ApiError } from '../../lib/errors.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { itemDiagnosis } from '../../services/item-diagnosis.ts';
import { itemVotes, signatureTexts } from '../../services/item-page.ts';
import { regionName } from '../../services/page-data.ts';
import { itemPage } from '../../pages/item.tsx';

export async function itemDiagnosisPage(c: Context<PagesEnv>) {
  const region = c.req.param('region') ?? '';
  const sliceId = c.req.param('slice') ?? '';
  const itemId = c.req.param('item') ?? '';
  if (!/^[A-Z]{2}$/.test(region)) throw new ApiError(404, 'not_found', `No region '${region.slice(0, 8)}': regions are ISO 3166-1 alpha-2 codes in upper case such as BR.`);
  if (sliceId.length > 128 || itemId.length > 128) throw new ApiError(404, 'not_found', 'No such item: slice and item ids have at most 128 characters.');
  requireAccess(c.get('principal'), 'read', region);
  const d1 = c.env.DB;
  const found = await itemDiagnosis(c.env, region, sliceId, itemId);
  const [texts, votes, name] = await Promise.all([
    signatureTexts(d1, found.body.secondary.map((s) => s.code)),
    itemVotes(d1, region, sliceId, found.rec.i),
    regionName(d1, region),
  ]);
  return c.html(itemPage({ found, regionName: name ?? '', texts, votes, signedIn: c.get('signedIn') }), 200);
}
