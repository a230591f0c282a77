import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { familyOf, isItemSignatureCode, textForCode } from '../../../taxonomy/signatures/index.ts';
import { isSliceSignatureCode as isSliceCode } from '../../../taxonomy/slice-signatures.ts';
import {
  latestVersionIn, listPolicies as policies, listRegions as regions, readTaxonomy, regionMapping, signatureEntry, signatureRate,
} from '../../services/catalog.ts';
import { rateOf } from '../../services/rates.ts';
import type { getSignature, getTaxonomy, listPolicies, listRegions } from './routes.ts';

export const listRegionsHandler: AppRouteHandler<typeof listRegions> = async (c) => c.json({ regions: await regions(c.env.DB) }, 200);

export const listPoliciesHandler: AppRouteHandler<typeof listPolicies> = async (c) => c.json({ policies: await policies(c.env.DB) }, 200);

/** Served from the seeded D1 catalogue, so it shows what this deployment was seeded with. */
export const getTaxonomyHandler: AppRouteHandler<typeof getTaxonomy> = async (c) => c.json(await readTaxonomy(c.env.DB), 200);

export const getSignatureHandler: AppRouteHandler<typeof getSignature> = async (c) => {
  const { code } = c.req.valid('param');
  const q = c.req.valid('query');
  if (!isItemSignatureCode(code) && !isSliceCode(code)) throw notFound(`code: unknown signature '${code}'`);
  const family = isSliceCode(code) ? code : familyOf(code);
  const entry = await signatureEntry(c.env.DB, family);
  if (!entry) throw notFound(`code: signature '${family}' is not in the seeded catalogue`);
  const { row } = entry;
  let interventions = entry.interventions;
  let overridden = false;
  if (!q.region && (q.model || q.version)) {
    const field = q.model ? 'model' : 'version';
    throw new ApiError(400, 'invalid_request', `${field}: only used together with region`, { field });
  }
  let region: { region: string; model: string | null; version: string | null; count: number; rate: ReturnType<typeof rateOf> } | undefined;
  if (q.region) {
    requireAccess(c.get('principal'), 'read', q.region);
    const override = await regionMapping(c.env.DB, q.region, family);
    if (override) {
      overridden = true;
      interventions = override;
    }
    let model = q.model ?? null;
    let version = q.version ?? null;
    if ((model === null) !== (version === null)) throw new ApiError(400, 'invalid_request', `${model === null ? 'model' : 'version'}: required together with ${model === null ? 'version' : 'model'}`, { field: model === null ? 'model' : 'version' });
    if (model === null) {
      // Without a version: the most recent model version with data in the region.
      const latest = await latestVersionIn(c.env.DB, q.region);
      model = latest?.model ?? null;
      version = latest?.version ?? null;
    }
    const { count, rate } = model !== null && version !== null
      ? await signatureRate(c.env.DB, q.region, model, version, code, family, code !== family || isSliceCode(code))
      : { count: 0, rate: rateOf(0, 0) };
    region = { region: q.region, model, version, count, rate };
  }
  return c.json({ code, family, level: row.level, description: textForCode(code, row.description), rule: textForCode(code, row.rule), interventions, overridden, ...(region ? { region } : {}) }, 200);
};
