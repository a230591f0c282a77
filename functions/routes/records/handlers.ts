import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv, Principal } from '../../env.ts';
import { regionScope, requireAccess, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, forbidden, notFound } from '../../lib/errors.ts';
import { nowIso } from '../../lib/db.ts';
import { unknownRegions } from '../../lib/regions.ts';
import { randomToken } from '../../lib/crypto.ts';
import { isInterventionCode } from '../../../taxonomy/interventions.ts';
import { isItemSignatureCode } from '../../../taxonomy/signatures/index.ts';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';
import { getVersion } from '../../services/versions.ts';
import { attribution, type InterventionRecord } from '../../services/attribution.ts';
import { canReadRecord, listRecords, readRecord, versionRecords } from '../../services/records.ts';
import type { createRecord, deleteRecord, getAttribution, getRecord, getVersionAttribution, listRecordAudit, listRecords as listRecordsRoute } from './routes.ts';

const bad = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, { field });

const canRead = canReadRecord;

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
    const unknown = await unknownRegions(c.env.DB, regions);
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

export const listRecordsHandler: RouteHandler<typeof listRecordsRoute, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const q = c.req.valid('query');
  const recs = await listRecords(c.env.DB, q);
  return c.json({ interventions: recs.filter((r) => canRead(p, r)) }, 200);
};

async function recordOr404(d1: D1Database, p: Principal, id: string): Promise<InterventionRecord> {
  const rec = await readRecord(d1, id);
  if (!rec || !canRead(p, rec)) throw notFound(`id: no intervention '${id}'`);
  return rec;
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
  const report = await attribution(c.env.DB, rec, await versionRecords(c.env.DB, rec.model.id, rec.model.version), regionScope(p));
  return c.json(report as never, 200);
};

export const getVersionAttributionHandler: RouteHandler<typeof getVersionAttribution, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const { model, version } = c.req.valid('param');
  await getVersion(c.env.DB, model, version);
  const recs = await versionRecords(c.env.DB, model, version);
  const reports = [];
  for (const r of recs.filter((r) => canRead(p, r))) reports.push(await attribution(c.env.DB, r, recs, regionScope(p)));
  return c.json({ model, version, reports } as never, 200);
};

export const deleteRecordHandler: RouteHandler<typeof deleteRecord, AppEnv> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { id } = c.req.valid('param');
  const rec = await readRecord(c.env.DB, id);
  if (!rec) throw notFound(`id: no intervention '${id}'`);
  // One batch: the record goes and its audit row (the record kept whole) lands, or neither; the
  // audit row only while the record exists, so a concurrent delete of the same id writes one.
  const [, del] = await c.env.DB.batch([
    c.env.DB.prepare(`INSERT INTO intervention_record_audit (record_id, action, actor, at, record)
      SELECT ?, 'delete', ?, ?, ? WHERE EXISTS (SELECT 1 FROM intervention_records WHERE id = ?)`).bind(id, p.id, nowIso(), JSON.stringify(rec), id),
    c.env.DB.prepare('DELETE FROM intervention_records WHERE id = ?').bind(id),
  ]);
  if (del.meta.changes !== 1) throw notFound(`id: no intervention '${id}'`);
  return c.json({ id, deleted: true, record: rec }, 200);
};

export const listRecordAuditHandler: RouteHandler<typeof listRecordAudit, AppEnv> = async (c) => {
  requireAdmin(c.get('principal'));
  const { results } = await c.env.DB.prepare('SELECT id, record_id, action, actor, at, record FROM intervention_record_audit ORDER BY id')
    .all<{ id: number; record_id: string; action: 'delete'; actor: string; at: string; record: string }>();
  return c.json({ entries: results.map((r) => ({ ...r, record: JSON.parse(r.record) as InterventionRecord })) }, 200);
};
