import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { requireAccess, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { nowIso } from '../../lib/db.ts';
import { isMappedSignature, validateMapping } from '../../../taxonomy/mappings.ts';
import { defaultMapping, type MappingEntry } from '../../services/mappings.ts';
import type { deleteOverride, listAudit, putOverride } from './routes.ts';

async function checkTarget(d1: D1Database, region: string, signature: string): Promise<MappingEntry[] | null> {
  const known = await d1.prepare('SELECT 1 AS ok FROM regions WHERE code = ?').bind(region).first();
  if (!known) throw new ApiError(404, 'unknown_region', `region: unknown region '${region}'`, { field: 'region' });
  if (!isMappedSignature(signature)) {
    const hint = /\.(audio|visual|text)$/.test(signature) ? ` (use the family code ${signature.replace(/\.(audio|visual|text)$/, '')})` : '';
    throw new ApiError(400, 'invalid_request', `signature: unknown signature family '${signature}'${hint}`, { field: 'signature' });
  }
  const row = await d1.prepare('SELECT mapping FROM intervention_overrides WHERE region = ? AND signature = ?')
    .bind(region, signature).first<{ mapping: string }>();
  return row ? JSON.parse(row.mapping) : null;
}

const auditStmt = (d1: D1Database, a: { region: string; signature: string; action: string; actor: string; at: string; old: unknown; new: unknown }) =>
  d1.prepare('INSERT INTO intervention_audit (region, signature, action, actor, at, old_mapping, new_mapping) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(a.region, a.signature, a.action, a.actor, a.at, JSON.stringify(a.old), a.new === null ? null : JSON.stringify(a.new));

export const putOverrideHandler: RouteHandler<typeof putOverride, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { region, signature } = c.req.valid('param');
  const { interventions } = c.req.valid('json');
  const problem = validateMapping(interventions);
  if (problem) throw new ApiError(400, 'invalid_request', problem, { field: problem.split(/[ :]/)[0] });
  const current = await checkTarget(c.env.DB, region, signature);
  const previous = current ?? defaultMapping(signature);
  const next = interventions.map(({ code, weight }) => ({ code, weight }));
  const at = nowIso();
  // One batch: the override and its audit row land together or not at all.
  await c.env.DB.batch([
    c.env.DB.prepare(
      `INSERT INTO intervention_overrides (region, signature, mapping, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (region, signature) DO UPDATE SET mapping = excluded.mapping, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    ).bind(region, signature, JSON.stringify(next), p.id, at),
    auditStmt(c.env.DB, { region, signature, action: 'set', actor: p.id, at, old: previous, new: next }),
  ]);
  return c.json({ region, signature, overridden: true, interventions: next, previous }, 200);
};

export const deleteOverrideHandler: RouteHandler<typeof deleteOverride, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { region, signature } = c.req.valid('param');
  const current = await checkTarget(c.env.DB, region, signature);
  if (!current) throw notFound(`signature: region ${region} has no override for ${signature}`);
  const restored = defaultMapping(signature);
  const at = nowIso();
  await c.env.DB.batch([
    c.env.DB.prepare('DELETE FROM intervention_overrides WHERE region = ? AND signature = ?').bind(region, signature),
    auditStmt(c.env.DB, { region, signature, action: 'delete', actor: p.id, at, old: current, new: restored }),
  ]);
  return c.json({ region, signature, overridden: false, interventions: restored, previous: current }, 200);
};

export const listAuditHandler: RouteHandler<typeof listAudit, AppEnv> = async (c) => {
  const { region } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  const { results } = await c.env.DB.prepare(
    'SELECT id, signature, action, actor, at, old_mapping, new_mapping FROM intervention_audit WHERE region = ? ORDER BY id',
  ).bind(region).all<{ id: number; signature: string; action: 'set' | 'delete'; actor: string; at: string; old_mapping: string | null; new_mapping: string | null }>();
  return c.json({
    region,
    entries: results.map((r) => ({
      id: r.id, signature: r.signature, action: r.action, actor: r.actor, at: r.at,
      old: r.old_mapping ? JSON.parse(r.old_mapping) : null, new: r.new_mapping ? JSON.parse(r.new_mapping) : null,
    })),
  }, 200);
};
