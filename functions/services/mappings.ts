// Signature → intervention mappings as a region sees them: the taxonomy's defaults with the
// region's audited overrides (stored in D1) applied.
import { defaultMapping as taxonomyDefault } from '../../taxonomy/mappings.ts';

export interface MappingEntry { code: string; weight: number }

export async function regionOverrides(d1: D1Database, region: string): Promise<Map<string, MappingEntry[]>> {
  const { results } = await d1.prepare('SELECT signature, mapping FROM intervention_overrides WHERE region = ?')
    .bind(region).all<{ signature: string; mapping: string }>();
  return new Map(results.map((r) => [r.signature, JSON.parse(r.mapping) as MappingEntry[]]));
}

export function defaultMapping(family: string): MappingEntry[] {
  return taxonomyDefault(family).map(({ code, weight }) => ({ code, weight }));
}

export function effectiveMapping(overrides: Map<string, MappingEntry[]>) {
  return (family: string): MappingEntry[] => overrides.get(family) ?? defaultMapping(family);
}
