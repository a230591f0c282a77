// Small reads the pages need besides the scorecard and the heatmap: which model versions
// exist (globally, and with data in one region) and the regions' names.
export interface ModelVersionRow { model_id: string; version: string; stage: string; first_slice_at: string }

/** Every model version, most recent first slice first. */
export async function allVersions(d1: D1Database): Promise<ModelVersionRow[]> {
  const { results } = await d1.prepare(
    'SELECT model_id, version, stage, first_slice_at FROM model_versions ORDER BY first_slice_at DESC, version DESC',
  ).all<ModelVersionRow>();
  return results;
}

/** Model versions with aggregates in the region (the PK of aggregates starts with region), most recent first. */
export async function regionVersions(d1: D1Database, region: string): Promise<ModelVersionRow[]> {
  const { results } = await d1.prepare(
    `SELECT mv.model_id, mv.version, mv.stage, mv.first_slice_at FROM model_versions mv
     WHERE EXISTS (SELECT 1 FROM aggregates a WHERE a.region = ? AND a.model_id = mv.model_id AND a.model_version = mv.version)
     ORDER BY mv.first_slice_at DESC, mv.version DESC`,
  ).bind(region).all<ModelVersionRow>();
  return results;
}

export async function regionNames(d1: D1Database): Promise<Map<string, string>> {
  const { results } = await d1.prepare('SELECT code, name FROM regions').all<{ code: string; name: string }>();
  return new Map(results.map((r) => [r.code, r.name]));
}

export async function regionName(d1: D1Database, code: string): Promise<string | null> {
  const row = await d1.prepare('SELECT name FROM regions WHERE code = ?').bind(code).first<{ name: string }>();
  return row?.name ?? null;
}

/** Distinct model ids in first-seen-most-recently order. */
export const modelIds = (rows: ModelVersionRow[]) => [...new Set(rows.map((r) => r.model_id))];
