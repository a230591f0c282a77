// Intervention records in D1 (SPEC §5 "Closing the loop"): reads shared by the JSON API
// (routes/interventions) and the pages for people (routes/pages).
import type { Principal } from '../env.ts';
import type { Row } from '../lib/db.ts';
import type { interventionRecords } from '../../db/schema.ts';
import type { InterventionRecord } from './attribution.ts';

export type RecordRow = Row<typeof interventionRecords>;

export const toRecord = (r: RecordRow): InterventionRecord => ({
  id: r.id, intervention: r.intervention, model: { id: r.model_id, version: r.version }, targets: JSON.parse(r.targets),
  note: r.note, applied_at: r.applied_at, created_by: r.created_by, created_at: r.created_at,
});

/** Admin and '*' keys read every record; a region key those that target one of its regions. */
export function canReadRecord(p: Principal, rec: InterventionRecord): boolean {
  if (p.kind === 'admin' || p.regions.includes('*')) return true;
  return rec.targets.regions.some((r) => p.regions.includes(r));
}

/** Every record of one model version, in recording order. */
export async function versionRecords(d1: D1Database, modelId: string, version: string): Promise<InterventionRecord[]> {
  const { results } = await d1.prepare('SELECT * FROM intervention_records WHERE model_id = ? AND version = ? ORDER BY created_at, id').bind(modelId, version).all<RecordRow>();
  return results.map(toRecord);
}

/** Records, optionally of one model (and version), in recording order. */
export async function listRecords(d1: D1Database, q: { model?: string; version?: string }): Promise<InterventionRecord[]> {
  const where: string[] = [];
  const args: string[] = [];
  if (q.model) { where.push('model_id = ?'); args.push(q.model); }
  if (q.version) { where.push('version = ?'); args.push(q.version); }
  const { results } = await d1.prepare(`SELECT * FROM intervention_records${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`).bind(...args).all<RecordRow>();
  return results.map(toRecord);
}

export async function insertRecord(d1: D1Database, rec: InterventionRecord): Promise<void> {
  await d1.prepare(
    'INSERT INTO intervention_records (id, intervention, model_id, version, targets, note, applied_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).bind(rec.id, rec.intervention, rec.model.id, rec.model.version, JSON.stringify(rec.targets), rec.note, rec.applied_at, rec.created_by, rec.created_at).run();
}

export async function readRecord(d1: D1Database, id: string): Promise<InterventionRecord | null> {
  const row = await d1.prepare('SELECT * FROM intervention_records WHERE id = ?').bind(id).first<RecordRow>();
  return row ? toRecord(row) : null;
}

/** Deletes a record and keeps it whole in the audit, in one batch: both or neither. The audit
 *  row lands only while the record exists, so concurrent deletes of one id write one. Null when
 *  there was no such record. */
export async function deleteRecord(d1: D1Database, id: string, actor: string): Promise<InterventionRecord | null> {
  const rec = await readRecord(d1, id);
  if (!rec) return null;
  const [, del] = await d1.batch([
    d1.prepare(`INSERT INTO intervention_record_audit (record_id, action, actor, at, record)
      SELECT ?, 'delete', ?, ?, ? WHERE EXISTS (SELECT 1 FROM intervention_records WHERE id = ?)`).bind(id, actor, new Date().toISOString(), JSON.stringify(rec), id),
    d1.prepare('DELETE FROM intervention_records WHERE id = ?').bind(id),
  ]);
  return del.meta.changes === 1 ? rec : null;
}

/** Every audited change of intervention records, oldest first. */
export async function listRecordAudit(d1: D1Database) {
  const { results } = await d1.prepare('SELECT id, record_id, action, actor, at, record FROM intervention_record_audit ORDER BY id')
    .all<{ id: number; record_id: string; action: 'delete'; actor: string; at: string; record: string }>();
  return results.map((r) => ({ ...r, record: JSON.parse(r.record) as InterventionRecord }));
}
