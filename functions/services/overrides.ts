// Per-region overrides of a signature family's intervention mapping, each change audited in
// the same batch (the override and its audit row land together or not at all).
import { ApiError } from '../lib/errors.ts';
import { nowIso } from '../lib/db.ts';
import { isMappedSignature } from '../../taxonomy/mappings.ts';
import { assertRegion } from '../store/regions.ts';
import { defaultMapping, type MappingEntry } from './mappings.ts';

/** The region's override of `signature`, or null; 404 for an unknown region, 400 for a
 *  signature that is not a mapped family. */
export async function currentOverride(d1: D1Database, region: string, signature: string): Promise<MappingEntry[] | null> {
  await assertRegion(d1, region);
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

/** Sets the override; returns the mapping it replaces (the default when there was none). */
export async function setOverride(d1: D1Database, region: string, signature: string, next: MappingEntry[], actor: string): Promise<MappingEntry[]> {
  const current = await currentOverride(d1, region, signature);
  const previous = current ?? defaultMapping(signature);
  const at = nowIso();
  await d1.batch([
    d1.prepare(
      `INSERT INTO intervention_overrides (region, signature, mapping, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (region, signature) DO UPDATE SET mapping = excluded.mapping, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    ).bind(region, signature, JSON.stringify(next), actor, at),
    auditStmt(d1, { region, signature, action: 'set', actor, at, old: previous, new: next }),
  ]);
  return previous;
}

/** Removes the override; null when there was none, else the removed and the restored mapping. */
export async function deleteOverride(d1: D1Database, region: string, signature: string, actor: string): Promise<{ previous: MappingEntry[]; restored: MappingEntry[] } | null> {
  const current = await currentOverride(d1, region, signature);
  if (!current) return null;
  const restored = defaultMapping(signature);
  const at = nowIso();
  await d1.batch([
    d1.prepare('DELETE FROM intervention_overrides WHERE region = ? AND signature = ?').bind(region, signature),
    auditStmt(d1, { region, signature, action: 'delete', actor, at, old: current, new: restored }),
  ]);
  return { previous: current, restored };
}

export interface AuditEntry { id: number; signature: string; action: 'set' | 'delete'; actor: string; at: string; old: MappingEntry[] | null; new: MappingEntry[] | null }

/** Every change of the region's overrides, oldest first. */
export async function overrideAudit(d1: D1Database, region: string): Promise<AuditEntry[]> {
  const { results } = await d1.prepare(
    'SELECT id, signature, action, actor, at, old_mapping, new_mapping FROM intervention_audit WHERE region = ? ORDER BY id',
  ).bind(region).all<{ id: number; signature: string; action: 'set' | 'delete'; actor: string; at: string; old_mapping: string | null; new_mapping: string | null }>();
  return results.map((r) => ({
    id: r.id, signature: r.signature, action: r.action, actor: r.actor, at: r.at,
    old: r.old_mapping ? JSON.parse(r.old_mapping) : null, new: r.new_mapping ? JSON.parse(r.new_mapping) : null,
  }));
}
