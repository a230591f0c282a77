import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv, Principal } from '../../env.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { ApiError, forbidden, notFound } from '../../lib/errors.ts';
import { nowIso } from '../../lib/db.ts';
import { randomToken } from '../../lib/crypto.ts';
import { isInterventionCode } from '../../../taxonomy/interventions.ts';
import { isItemSignatureCode } from '../../../taxonomy/signatures/index.ts';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';
import { getVersion } from '../../services/versions.ts';
import { attribution, type InterventionRecord } from '../../services/attribution.ts';
import type { createRecord, getAttribution, getRecord, getVersionAttribution, listRecords } from './routes.ts';

type Row = { id: string; intervention: string; model_id: string; version: string; targets: string; note: string | null; applied_at: string; created_by: string; created_at: string };

const toRecord = (r: Row): InterventionRecord => ({
  id: r.id, intervention: r.intervention, model: { id: r.model_id, version: r.version }, targets: JSON.parse(r.targets),
  note: r.note, applied_at: r.applied_at, created_by: r.created_by, created_at: r.created_at,
});

const bad = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, { field });

function canRead(p: Principal, rec: InterventionRecord): boolean {
  if (p.kind === 'admin' || p.regions.includes('*')) return true;
  return rec.targets.regions.some((r) => p.regions.includes(r));
}

export const createRecordHandler: RouteHandler<typeof createRecord, AppEnv> = async (c) => {
  const p = c.get('principal');
  const body = c.req.valid('json');
  requireAccess(p, 'intervene');
  if (!isInterventionCode(body.intervention)) throw bad('intervention', `unknown intervention '${body.intervention}'`);
  body.targets.signatures.forEach((s, i) => { if (!isItemSignatureCode(s)) throw bad(`targets.signatures[${i}]`, `unknown signature '${s}'`); });
  body.targets.policies?.forEach((s, i) => { if (!POLICY_CODES.includes(s)) throw bad(`targets.policies[${i}]`, `unknown policy '${s}'`); });
  const regions = [...new Set(body.targets.regions)].sort();
  if (regions.includes('*') && regions.length > 1) throw bad('targets.regions', "'*' stands alone");
  if (!regions.includes('*')) {
    const { results } = await c.env.DB.prepare(`SELECT code FROM regions WHERE code IN (${regions.map(() => '?').join(',')})`).bind(...regions).all<{ code: string }>();
    const known = new Set(results.map((r) => r.code));
    const unknown = regions.filter((r) => !known.has(r));
    if (unknown.length) throw bad('targets.regions', `unknown region(s) ${unknown.join(', ')}`);
  }
  if (p.kind === 'key' && !p.regions.includes('*') && (regions.includes('*') || regions.some((r) => !p.regions.includes(r)))) {
    throw forbidden('targets.regions: this key may record interventions only for its own regions');
  }
  try {
    await getVersion(c.env.DB, body.model.id, body.model.version, 'model.version');
  } catch {
    throw bad('model.version', `model ${body.model.id} has no version '${body.model.version}' with slices`);
  }
  const rec: InterventionRecord = {
    id: `int_${randomToken(9)}`, intervention: body.intervention, model: body.model,
    targets: { signatures: [...new Set(body.targets.signatures)], regions, ...(body.targets.policies ? { policies: [...new Set(body.targets.policies)] } : {}) },
    note: body.note ?? null, applied_at: new Date(body.applied_at).toISOString(), created_by: p.id, created_at: nowIso(),
  };
  await c.env.DB.prepare(
    'INSERT INTO intervention_records (id, intervention, model_id, version, targets, note, applied_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).bind(rec.id, rec.intervention, rec.model.id, rec.model.version, JSON.stringify(rec.targets), rec.note, rec.applied_at, rec.created_by, rec.created_at).run();
  return c.json(rec, 201);
};

async function versionRecords(d1: D1Database, modelId: string, version: string): Promise<InterventionRecord[]> {
  const { results } = await d1.prepare('SELECT * FROM intervention_records WHERE model_id = ? AND version = ? ORDER BY created_at, id').bind(modelId, version).all<Row>();
  return results.map(toRecord);
}

export const listRecordsHandler: RouteHandler<typeof listRecords, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const q = c.req.valid('query');
  const where: string[] = [];
  const args: string[] = [];
  if (q.model) { where.push('model_id = ?'); args.push(q.model); }
  if (q.version) { where.push('version = ?'); args.push(q.version); }
  const { results } = await c.env.DB.prepare(`SELECT * FROM intervention_records${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`).bind(...args).all<Row>();
  return c.json({ interventions: results.map(toRecord).filter((r) => canRead(p, r)) }, 200);
};

async function recordOr404(d1: D1Database, p: Principal, id: string): Promise<InterventionRecord> {
  const row = await d1.prepare('SELECT * FROM intervention_records WHERE id = ?').bind(id).first<Row>();
  if (!row || !canRead(p, toRecord(row))) throw notFound(`id: no intervention '${id}'`);
  return toRecord(row);
}

export const getRecordHandler: RouteHandler<typeof getRecord, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  return c.json(await recordOr404(c.env.DB, p, c.req.valid('param').id), 200);
};

export const getAttributionHandler: RouteHandler<typeof getAttribution, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const rec = await recordOr404(c.env.DB, p, c.req.valid('param').id);
  const report = await attribution(c.env.DB, rec, await versionRecords(c.env.DB, rec.model.id, rec.model.version));
  return c.json(report as never, 200);
};

export const getVersionAttributionHandler: RouteHandler<typeof getVersionAttribution, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const { model, version } = c.req.valid('param');
  await getVersion(c.env.DB, model, version);
  const recs = await versionRecords(c.env.DB, model, version);
  const reports = [];
  for (const r of recs.filter((r) => canRead(p, r))) reports.push(await attribution(c.env.DB, r, recs));
  return c.json({ model, version, reports } as never, 200);
};
