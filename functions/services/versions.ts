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

export async function predecessor(d1: D1Database, modelId: string, version: string): Promise<VersionRow | null> {
  const me = await getVersion(d1, modelId, version);
  return d1.prepare(
    `SELECT version, stage, first_slice_at FROM model_versions WHERE model_id = ? AND version != ?
     AND (first_slice_at < ? OR (first_slice_at = ? AND version < ?)) ORDER BY first_slice_at DESC, version DESC LIMIT 1`,
  ).bind(modelId, version, me.first_slice_at, me.first_slice_at, version).first<VersionRow>();
}
