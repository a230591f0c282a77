// Recommendations of SPEC §5: rank interventions by the failures they are expected to
// recover, weighted by policy severity, per unit of cost. Every entry carries its terms so
// anyone can redo the arithmetic.
import { getIntervention, costValue, type Lever } from './interventions.ts';
import type { MappingEntry } from './mappings.ts';
import { familyOf } from './signatures/registry.ts';

export interface FailureCount {
  /** Full primary signature code, e.g. 'PER.MISS.audio' or 'THR.MARGIN'. */
  signature: string;
  policy: string;
  failures: number;
}

export interface RankingInput {
  failures: readonly FailureCount[];
  /** Family code → its interventions, with the region's overrides already applied. */
  mapping: (family: string) => readonly MappingEntry[] | undefined;
  /** Policy code → severity weight. */
  severity: (policy: string) => number;
}

export interface RecommendationTerm {
  signature: string;
  policy: string;
  failures: number;
  weight: number;
  severity: number;
}

export interface Recommendation {
  intervention: string;
  lever: Lever;
  /** Cost tier as a number (CONFIG.costTiers). */
  cost: number;
  /** Σ failures × weight × severity over the terms. */
  recoverable: number;
  /** recoverable / cost. */
  score: number;
  terms: RecommendationTerm[];
}

// Scores equal up to float rounding (e.g. 1.5/3 vs 0.5/1 computed along different paths)
// count as tied, so the order by code is what decides, as the SPEC says.
const TIE = 1e-12;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * SPEC §5 ranking. Every (signature, policy) with failures counts, LBL.AMBIG included (its
 * recovery is relabelling). Nothing is rounded here; sums run in (signature, policy) order so
 * the same input always gives the same floats. An intervention code the catalogue does not
 * know throws: mappings and overrides are validated before they get here.
 */
export function recommend(input: RankingInput): Recommendation[] {
  // Merge repeated (signature, policy) rows so each appears once in the arithmetic.
  const merged = new Map<string, FailureCount>();
  for (const f of input.failures) {
    if (!Number.isFinite(f.failures) || f.failures < 0) {
      throw new RangeError(`recommend: failures must be a finite count >= 0, got ${f.failures} for ${f.signature}/${f.policy}`);
    }
    if (f.failures === 0) continue;
    const key = `${f.signature}\u0000${f.policy}`;
    const prev = merged.get(key);
    merged.set(key, { signature: f.signature, policy: f.policy, failures: (prev?.failures ?? 0) + f.failures });
  }
  const rows = [...merged.values()].sort((a, b) => cmp(a.signature, b.signature) || cmp(a.policy, b.policy));

  const termsByIntervention = new Map<string, RecommendationTerm[]>();
  for (const row of rows) {
    const entries = input.mapping(familyOf(row.signature)) ?? [];
    if (entries.length === 0) continue;
    const severity = input.severity(row.policy);
    if (!Number.isFinite(severity)) throw new RangeError(`recommend: no severity for policy ${row.policy}`);
    for (const e of entries) {
      const terms = termsByIntervention.get(e.code) ?? [];
      terms.push({ signature: row.signature, policy: row.policy, failures: row.failures, weight: e.weight, severity });
      termsByIntervention.set(e.code, terms);
    }
  }

  const out: Recommendation[] = [];
  for (const [code, terms] of termsByIntervention) {
    const intervention = getIntervention(code);
    if (!intervention) throw new RangeError(`recommend: unknown intervention ${code}`);
    let recoverable = 0;
    for (const t of terms) recoverable += t.failures * t.weight * t.severity;
    if (!(recoverable > 0)) continue;
    const cost = costValue(code);
    out.push({ intervention: code, lever: intervention.lever, cost, recoverable, score: recoverable / cost, terms });
  }
  return out.sort((a, b) => {
    const d = b.score - a.score;
    if (Math.abs(d) > TIE * Math.max(Math.abs(a.score), Math.abs(b.score))) return d;
    return cmp(a.intervention, b.intervention);
  });
}
