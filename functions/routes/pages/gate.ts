// GET /scorecards/gate?model=&version=[&baseline=]: the release gate page. It reads what
// GET /v1/models/{model}/versions/{version}/gate reads (releaseGate), over the key's regions.
import type { Context } from 'hono';
import type { PagesEnv } from './auth.ts';
import { ApiError } from '../../lib/errors.ts';
import { regionScope, requireAccess } from '../../middleware/auth.ts';
import { releaseGate } from '../../services/gate.ts';
import { allVersions } from '../../services/page-data.ts';
import { predecessor } from '../../services/versions.ts';
import { gatePage } from '../../pages/gate.tsx';
import { param } from './handlers.ts';

export async function gatePageHandler(c: Context<PagesEnv>) {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const d1 = c.env.DB;
  const all = await allVersions(d1);
  const model = param(c, 'model', 128) ?? all[0]?.model_id;
  if (!model) throw new ApiError(404, 'not_found', 'No model has slices yet.');
  const versions = all.filter((v) => v.model_id === model);
  if (!versions.length) throw new ApiError(404, 'not_found', `Model ${model} has no versions with slices.`);
  const version = param(c, 'version', 64) ?? versions[0].version;
  const row = versions.find((v) => v.version === version);
  if (!row) throw new ApiError(404, 'not_found', `Model ${model} has no version '${version}' with slices.`);
  const baseline = param(c, 'baseline', 64);
  // A first version has nothing to be gated against until a baseline is chosen: say so, not 404.
  const report = baseline !== undefined || (await predecessor(d1, model, version))
    ? await releaseGate(d1, model, version, baseline, regionScope(p))
    : null;
  return c.html(gatePage({ model, version, stage: row.stage, versions, report, scoped: regionScope(p) !== null, signedIn: c.get('signedIn') }), 200);
}
