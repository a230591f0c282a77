// Model versions: stages and predecessors (SPEC §9: the version of the same model id whose
// first slice arrived most recently before this version's first slice).
import { notFound } from '../lib/errors.ts';

export const STAGES = ['pretrain', 'sft', 'alignment', 'production'] as const;

export interface VersionRow { version: string; stage: string; first_slice_at: string }

export async function listVersions(d1: D1Database, modelId: string): Promise<VersionRow[]> {
  const { results } = await d1.prepare('SELECT version, stage, first_slice_at FROM model_versions WHERE model_id = ? ORDER BY first_slice_at, version')
    .bind(modelId).all<VersionRow>();
  return results;
}

export async function getVersion(d1: D1Database, modelId: string, version: string, field = 'version'): Promise<VersionRow> {
  const row = await d1.prepare('SELECT version, stage, first_slice_at FROM model_versions WHERE model_id = ? AND version = ?')
    .bind(modelId, version).first<VersionRow>();
  if (!row) throw notFound(`${field}: model ${modelId} has no version '${version}' with slices`);
  return row;
}

/** The predecessor of version ?2 of model ?1 (bind: model, version). */
export const PREDECESSOR_SQL = `WITH me AS (SELECT first_slice_at AS at FROM model_versions WHERE model_id = ?1 AND version = ?2)
  SELECT version, stage, first_slice_at FROM model_versions, me WHERE model_id = ?1 AND version != ?2
  AND (first_slice_at < me.at OR (first_slice_at = me.at AND version < ?2))
  ORDER BY first_slice_at DESC, version DESC LIMIT 1`;

export async function predecessor(d1: D1Database, modelId: string, version: string): Promise<VersionRow | null> {
  await getVersion(d1, modelId, version);
  return d1.prepare(PREDECESSOR_SQL).bind(modelId, version).first<VersionRow>();
}
