// GET /v1/models (SPEC §10): every model with its versions — stage, first slice, and over the
// reader's regions only, how many regions have a committed slice of it and how many items
// those slices hold. Read from the slices ledger (one row per slice, not per item); a slice
// counts once committed (status complete or probing: its counters are in the aggregates).
// A version without a committed slice in the reader's regions is left out.

export interface VersionSummary { version: string; stage: string; first_slice_at: string; regions: number; items: number }
export interface ModelSummary { id: string; versions: VersionSummary[] }

type Row = { model_id: string; version: string; stage: string; first_slice_at: string; regions: number; items: number };

// The scope is one JSON parameter (json_each): a key may list more regions than D1's 100 bound parameters.
const MODELS_SQL = `SELECT s.model_id, s.model_version AS version, mv.stage, mv.first_slice_at,
    COUNT(DISTINCT s.region) AS regions, SUM(s.items) AS items
  FROM slices s JOIN model_versions mv ON mv.model_id = s.model_id AND mv.version = s.model_version
  WHERE s.status IN ('complete', 'probing') AND (?1 IS NULL OR s.region IN (SELECT value FROM json_each(?1)))
  GROUP BY s.model_id, s.model_version
  ORDER BY s.model_id, mv.first_slice_at DESC, s.model_version DESC`;

/** @param scope the regions the reader may see (null: all). Models by id; versions most recent first slice first. */
export async function listModels(d1: D1Database, scope: readonly string[] | null): Promise<ModelSummary[]> {
  const { results } = await d1.prepare(MODELS_SQL).bind(scope === null ? null : JSON.stringify(scope)).all<Row>();
  const out: ModelSummary[] = [];
  for (const r of results) {
    let m = out[out.length - 1];
    if (m?.id !== r.model_id) out.push((m = { id: r.model_id, versions: [] }));
    m.versions.push({ version: r.version, stage: r.stage, first_slice_at: r.first_slice_at, regions: r.regions, items: r.items });
  }
  return out;
}

/**
 * The version a page opens by default: the one the most regions have, the most recent first
 * slice among equals — so a small test version submitted last (one region, a few items) is not
 * the default. Among `models`' versions, or only those of `modelId`.
 */
export function defaultVersion(models: readonly ModelSummary[], modelId?: string): { model: string; version: string } | null {
  let best: { model: string; v: VersionSummary } | null = null;
  for (const m of models) {
    if (modelId !== undefined && m.id !== modelId) continue;
    for (const v of m.versions) {
      const better = !best || v.regions > best.v.regions
        || (v.regions === best.v.regions && (v.first_slice_at > best.v.first_slice_at || (v.first_slice_at === best.v.first_slice_at && v.version > best.v.version)));
      if (better) best = { model: m.id, v };
    }
  }
  return best ? { model: best.model, version: best.v.version } : null;
}
