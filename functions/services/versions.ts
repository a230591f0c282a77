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

/** A version's predecessor (default parameters ?1 model, ?2 version): the version of the same model whose first slice came last before its
 *  own (ties by version). `model` and `version` name the SQL parameters, so other statements
 *  can embed it with their own numbering. */
export const predecessorSql = (model = '?1', version = '?2') => `WITH me AS (SELECT first_slice_at AS at FROM model_versions WHERE model_id = ${model} AND version = ${version})
  SELECT version, stage, first_slice_at FROM model_versions, me WHERE model_id = ${model} AND version != ${version}
  AND (first_slice_at < me.at OR (first_slice_at = me.at AND version < ${version}))
  ORDER BY first_slice_at DESC, version DESC LIMIT 1`;
export const PREDECESSOR_SQL = predecessorSql();

export async function predecessor(d1: D1Database, modelId: string, version: string): Promise<VersionRow | null> {
  await getVersion(d1, modelId, version);
  return d1.prepare(PREDECESSOR_SQL).bind(modelId, version).first<VersionRow>();
}
