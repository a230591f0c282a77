import type { Principal } from '../../env.ts';
import type { AppRouteHandler } from '../../lib/openapi.ts';
import { regionScope, requireAccess, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, forbidden, notFound } from '../../lib/errors.ts';
import { nowIso } from '../../lib/db.ts';
import { randomToken } from '../../lib/crypto.ts';
import { isInterventionCode } from '../../../taxonomy/interventions.ts';
import { isItemSignatureCode } from '../../../taxonomy/signatures/index.ts';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';
import { getVersion } from '../../services/versions.ts';
import { attribution, type AttributionReport, type InterventionRecord } from '../../services/attribution.ts';
import { assertRegions } from '../../store/regions.ts';
import { canReadRecord, deleteRecord as removeRecord, insertRecord, listRecordAudit as recordAudit, listRecords, readRecord, versionRecords } from '../../services/records.ts';
import type { createRecord, deleteRecord, getAttribution, getRecord, getVersionAttribution, listRecordAudit, listRecords as listRecordsRoute } from './routes.ts';

const bad = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, { field });

const canRead = canReadRecord;

export const createRecordHandler: AppRouteHandler<typeof createRecord> = async (c) => {
  const p = c.get('principal');
  const body = c.req.valid('json');
  requireAccess(p, 'intervene');
  if (!isInterventionCode(body.intervention)) throw bad('intervention', `unknown intervention '${body.intervention}'`);
  body.targets.signatures.forEach((s, i) => { if (!isItemSignatureCode(s)) throw bad(`targets.signatures[${i}]`, `unknown signature '${s}'`); });
  body.targets.policies?.forEach((s, i) => { if (!POLICY_CODES.includes(s)) throw bad(`targets.policies[${i}]`, `unknown policy '${s}'`); });
  const regions = [...new Set(body.targets.regions)].sort();
  if (regions.includes('*') && regions.length > 1) throw bad('targets.regions', "'*' stands alone");
  if (!regions.includes('*')) await assertRegions(c.env.DB, regions, 'targets.regions');
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
  await insertRecord(c.env.DB, rec);
  return c.json(rec, 201);
};

export const listRecordsHandler: AppRouteHandler<typeof listRecordsRoute> = async (c) => {
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

export const getRecordHandler: AppRouteHandler<typeof getRecord> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  return c.json(await recordOr404(c.env.DB, p, c.req.valid('param').id), 200);
};

export const getAttributionHandler: AppRouteHandler<typeof getAttribution> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const rec = await recordOr404(c.env.DB, p, c.req.valid('param').id);
  const report = await attribution(c.env.DB, rec, await versionRecords(c.env.DB, rec.model.id, rec.model.version), regionScope(p));
  return c.json(report, 200);
};

export const getVersionAttributionHandler: AppRouteHandler<typeof getVersionAttribution> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const { model, version } = c.req.valid('param');
  await getVersion(c.env.DB, model, version);
  const recs = await versionRecords(c.env.DB, model, version);
  const reports: AttributionReport[] = [];
  for (const r of recs.filter((r) => canRead(p, r))) reports.push(await attribution(c.env.DB, r, recs, regionScope(p)));
  return c.json({ model, version, reports }, 200);
};

export const deleteRecordHandler: AppRouteHandler<typeof deleteRecord> = async (c) => {
  const p = c.get('principal');
  requireAdmin(p);
  const { id } = c.req.valid('param');
  const rec = await removeRecord(c.env.DB, id, p.id);
  if (!rec) throw notFound(`id: no intervention '${id}'`);
  return c.json({ id, deleted: true, record: rec }, 200);
};

export const listRecordAuditHandler: AppRouteHandler<typeof listRecordAudit> = async (c) => {
  requireAdmin(c.get('principal'));
  return c.json({ entries: await recordAudit(c.env.DB) }, 200);
};
