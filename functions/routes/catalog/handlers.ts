import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { familyOf, isItemSignatureCode } from '../../../taxonomy/signatures/index.ts';
import { SLICE_SIGNATURES } from '../../../taxonomy/mappings.ts';
import { CONFIG } from '../../../taxonomy/config.ts';
import { effectiveMapping, regionOverrides } from '../../services/mappings.ts';
import { readCells, total } from '../../services/aggregates.ts';
import { rateOf } from '../../services/rates.ts';
import type { getSignature, getTaxonomy, listPolicies, listRegions } from './routes.ts';

export const listRegionsHandler: RouteHandler<typeof listRegions, AppEnv> = async (c) => {
  const { results } = await c.env.DB.prepare('SELECT code, name, languages FROM regions ORDER BY code').all<{ code: string; name: string; languages: string }>();
  return c.json({ regions: results.map((r) => ({ code: r.code, name: r.name, languages: JSON.parse(r.languages) as string[] })) }, 200);
};

export const listPoliciesHandler: RouteHandler<typeof listPolicies, AppEnv> = async (c) => {
  const { results } = await c.env.DB.prepare('SELECT code, name, severity, threshold FROM policies ORDER BY position')
    .all<{ code: string; name: string; severity: number; threshold: number }>();
  return c.json({ policies: results }, 200);
};

type SigRow = { code: string; level: 'item' | 'slice'; description: string; rule: string; taxonomy_version: string };
type MapRow = { signature: string; intervention: string; weight: number; rationale: string };

/** Served from the seeded D1 catalogue, so it shows what this deployment was seeded with. */
export const getTaxonomyHandler: RouteHandler<typeof getTaxonomy, AppEnv> = async (c) => {
  const [sigs, ints, maps] = await c.env.DB.batch([
    c.env.DB.prepare('SELECT code, level, description, rule, taxonomy_version FROM signatures ORDER BY rowid'),
    c.env.DB.prepare('SELECT code, lever, stage, cost, description FROM interventions ORDER BY rowid'),
    c.env.DB.prepare('SELECT signature, intervention, weight, rationale FROM signature_interventions ORDER BY weight DESC, intervention'),
  ]);
  const bySig = new Map<string, { code: string; weight: number; rationale: string }[]>();
  for (const m of maps.results as MapRow[]) {
    const l = bySig.get(m.signature) ?? [];
    l.push({ code: m.intervention, weight: m.weight, rationale: m.rationale });
    bySig.set(m.signature, l);
  }
  const signatures = (sigs.results as SigRow[]).map((s) => ({
    code: s.code, level: s.level, description: s.description, rule: s.rule, interventions: bySig.get(s.code) ?? [],
  }));
  const interventions = (ints.results as { code: string; lever: string; stage: string | null; cost: string; description: string }[])
    .map((i) => ({ ...i, cost_value: CONFIG.costTiers[i.cost as keyof typeof CONFIG.costTiers] }));
  const version = (sigs.results[0] as SigRow | undefined)?.taxonomy_version ?? 'unseeded';
  return c.json({ version, signatures, interventions }, 200);
};

const isSliceCode = (code: string) => SLICE_SIGNATURES.some((s) => s.code === code);

export const getSignatureHandler: RouteHandler<typeof getSignature, AppEnv> = async (c) => {
  const { code } = c.req.valid('param');
  const q = c.req.valid('query');
  if (!isItemSignatureCode(code) && !isSliceCode(code)) throw notFound(`code: unknown signature '${code}'`);
  const family = isSliceCode(code) ? code : familyOf(code);
  const row = await c.env.DB.prepare('SELECT code, level, description, rule FROM signatures WHERE code = ?').bind(family).first<SigRow>();
  if (!row) throw notFound(`code: signature '${family}' is not in the seeded catalogue`);
  const { results: maps } = await c.env.DB.prepare('SELECT intervention, weight, rationale FROM signature_interventions WHERE signature = ? ORDER BY weight DESC, intervention')
    .bind(family).all<{ intervention: string; weight: number; rationale: string }>();
  let interventions = maps.map((m) => ({ code: m.intervention, weight: m.weight, rationale: m.rationale }));
  let overridden = false;
  if (!q.region && (q.model || q.version)) {
    const field = q.model ? 'model' : 'version';
    throw new ApiError(400, 'invalid_request', `${field}: only used together with region`, { field });
  }
  let region: { region: string; model: string | null; version: string | null; count: number; rate: ReturnType<typeof rateOf> } | undefined;
  if (q.region) {
    requireAccess(c.get('principal'), 'read', q.region);
    const overrides = await regionOverrides(c.env.DB, q.region);
    if (overrides.has(family)) {
      overridden = true;
      interventions = effectiveMapping(overrides)(family).map((m) => ({ code: m.code, weight: m.weight, rationale: 'region override' }));
    }
    let model = q.model ?? null;
    let version = q.version ?? null;
    if ((model === null) !== (version === null)) throw new ApiError(400, 'invalid_request', `${model === null ? 'model' : 'version'}: required together with ${model === null ? 'version' : 'model'}`, { field: model === null ? 'model' : 'version' });
    if (model === null) {
      // Without a version: the most recent model version with data in the region.
      const latest = await c.env.DB.prepare(
        `SELECT s.model_id, s.model_version FROM slices s JOIN model_versions mv ON mv.model_id = s.model_id AND mv.version = s.model_version
         WHERE s.region = ? AND s.status IN ('complete','probing') ORDER BY mv.first_slice_at DESC LIMIT 1`,
      ).bind(q.region).first<{ model_id: string; model_version: string }>();
      model = latest?.model_id ?? null;
      version = latest?.model_version ?? null;
    }
    let count = 0;
    let n = 0;
    if (model !== null && version !== null) {
      const cells = await readCells(c.env.DB, q.region, model, version);
      const exact = code !== family || isSliceCode(code);
      for (const cell of cells.values()) {
        for (const [k, v] of cell) {
          if (!k.startsWith('sig:')) continue;
          const sig = k.slice(4);
          if (exact ? sig === code : familyOf(sig) === family) count += v;
        }
      }
      n = family === 'LBL.AMBIG' ? total(cells, 'items') - total(cells, 'pending')
        : total(cells, 'items') - total(cells, 'excluded') - total(cells, 'pending');
    }
    region = { region: q.region, model, version, count, rate: rateOf(count, n) };
  }
  return c.json({ code, family, level: row.level, description: row.description, rule: row.rule, interventions, overridden, ...(region ? { region } : {}) }, 200);
};
