// The seeded catalogue (regions, policies, the taxonomy in D1) and one signature with its
// interventions and, for a region, its rate there.
import { familyOf } from '../../taxonomy/signatures/index.ts';
import { CONFIG } from '../../taxonomy/config.ts';
import { COUNT, KEY, rateDenominator } from '../store/counters.ts';
import { readCells, total } from './aggregates.ts';
import { effectiveMapping, regionOverrides } from './mappings.ts';
import { rateOf } from './rates.ts';

export async function listRegions(d1: D1Database) {
  const { results } = await d1.prepare('SELECT code, name, languages FROM regions ORDER BY code').all<{ code: string; name: string; languages: string }>();
  return results.map((r) => ({ code: r.code, name: r.name, languages: JSON.parse(r.languages) as string[] }));
}

export async function listPolicies(d1: D1Database) {
  const { results } = await d1.prepare('SELECT code, name, severity, threshold FROM policies ORDER BY position')
    .all<{ code: string; name: string; severity: number; threshold: number }>();
  return results;
}

export type SigRow = { code: string; level: 'item' | 'slice'; description: string; rule: string; taxonomy_version: string };
type MapRow = { signature: string; intervention: string; weight: number; rationale: string };

/** Served from the seeded D1 catalogue, so it shows what this deployment was seeded with. */
export async function readTaxonomy(d1: D1Database) {
  const [sigs, ints, maps] = await d1.batch([
    d1.prepare('SELECT code, level, description, rule, taxonomy_version FROM signatures ORDER BY rowid'),
    d1.prepare('SELECT code, lever, stage, cost, description FROM interventions ORDER BY rowid'),
    d1.prepare('SELECT signature, intervention, weight, rationale FROM signature_interventions ORDER BY weight DESC, intervention'),
  ]);
  const bySig = new Map<string, { code: string; weight: number; rationale: string }[]>();
  for (const m of maps.results as MapRow[]) {
    const l = bySig.get(m.signature) ?? [];
    l.push({ code: m.intervention, weight: m.weight, rationale: m.rationale });
    bySig.set(m.signature, l);
  }
  const signatures = (sigs.results as SigRow[]).map((s) => ({
    code: s.code, level: s.level, description: s.description, rule: s.rule, interventions: bySig.get(s.code) ?? [],
  }));
  const interventions = (ints.results as { code: string; lever: string; stage: string | null; cost: string; description: string }[])
    .map((i) => ({ ...i, cost_value: CONFIG.costTiers[i.cost as keyof typeof CONFIG.costTiers] }));
  const version = (sigs.results[0] as SigRow | undefined)?.taxonomy_version ?? 'unseeded';
  return { version, signatures, interventions };
}

/** A family's catalogue row and its mapping (by weight), or null when it is not seeded. */
export async function signatureEntry(d1: D1Database, family: string) {
  const row = await d1.prepare('SELECT code, level, description, rule FROM signatures WHERE code = ?').bind(family).first<SigRow>();
  if (!row) return null;
  const { results: maps } = await d1.prepare('SELECT intervention, weight, rationale FROM signature_interventions WHERE signature = ? ORDER BY weight DESC, intervention')
    .bind(family).all<{ intervention: string; weight: number; rationale: string }>();
  return { row, interventions: maps.map((m) => ({ code: m.intervention, weight: m.weight, rationale: m.rationale })) };
}

/** The region's override of the family's mapping, as the signature route shows it; null without one. */
export async function regionMapping(d1: D1Database, region: string, family: string) {
  const overrides = await regionOverrides(d1, region);
  if (!overrides.has(family)) return null;
  return effectiveMapping(overrides)(family).map((m) => ({ code: m.code, weight: m.weight, rationale: 'region override' }));
}

/** The most recent model version with data in the region (by first slice), or null. */
export async function latestVersionIn(d1: D1Database, region: string): Promise<{ model: string; version: string } | null> {
  const latest = await d1.prepare(
    `SELECT s.model_id, s.model_version FROM slices s JOIN model_versions mv ON mv.model_id = s.model_id AND mv.version = s.model_version
     WHERE s.region = ? AND s.status IN ('complete','probing') ORDER BY mv.first_slice_at DESC LIMIT 1`,
  ).bind(region).first<{ model_id: string; model_version: string }>();
  return latest ? { model: latest.model_id, version: latest.model_version } : null;
}

/**
 * A signature's failures in the region for one model version and their rate (SPEC §9's
 * denominator). `exact`: count only `code`; otherwise every code of `family`.
 */
export async function signatureRate(d1: D1Database, region: string, model: string, version: string, code: string, family: string, exact: boolean) {
  const cells = await readCells(d1, region, model, version);
  let count = 0;
  for (const cell of cells.values()) {
    for (const [k, v] of cell) {
      if (!k.startsWith(KEY.sig)) continue;
      const sig = k.slice(KEY.sig.length);
      if (exact ? sig === code : familyOf(sig) === family) count += v;
    }
  }
  const n = rateDenominator({ items: total(cells, COUNT.items), excluded: total(cells, COUNT.excluded), pending: total(cells, COUNT.pending) }, family);
  return { count, rate: rateOf(count, n) };
}
