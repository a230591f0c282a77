// Checks a demo world by pure computation with the taxonomy (no Worker): every item is
// diagnosed as ingest would (effective threshold, live neighbours within the slice), and the
// region's recommendations are ranked as the scorecard ranks them (default mappings).
// Workers-compatible: no node: imports.
import { diagnoseItem, effectiveThreshold } from '../../taxonomy/diagnose.ts';
import { StreamIndex } from '../../taxonomy/live.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import { defaultMapping } from '../../taxonomy/mappings.ts';
import { recommend, type Recommendation } from '../../taxonomy/ranking.ts';
import type { Diagnosis } from '../../taxonomy/types.ts';
import type { DemoSlice, Plant, World } from './world.ts';

export interface SliceDiagnosis {
  region: string;
  version: string;
  slice_id: string;
  items: number;
  failures: number;
  pending: number;
  /** Policy → primary → count, as the aggregates would hold it. */
  primaries: Record<string, Record<string, number>>;
  /** item_id → diagnosis of every failure. */
  byItem: Map<string, Diagnosis>;
  recommendations: Recommendation[];
}

export function diagnoseSlice(slice: DemoSlice): SliceDiagnosis {
  const thresholdOf = (it: DemoSlice['items'][number]) => effectiveThreshold(it, policyByCode(it.policy)!.threshold);
  const streams = StreamIndex.fromItems(slice.items, thresholdOf);
  const primaries: Record<string, Record<string, number>> = {};
  const byItem = new Map<string, Diagnosis>();
  let failures = 0;
  let pending = 0;
  for (const it of slice.items) {
    const neighbours = it.live ? streams.neighbours(it.live.stream_id, it.live.segment) : undefined;
    const d = diagnoseItem(it, { threshold: thresholdOf(it), neighbours });
    if (d.outcome === 'pending') pending++;
    if (!d.failure) continue;
    failures++;
    byItem.set(it.item_id, d);
    const cell = (primaries[it.policy] ??= {});
    cell[d.primary!] = (cell[d.primary!] ?? 0) + 1;
  }
  const rows = Object.entries(primaries).flatMap(([policy, m]) => Object.entries(m).map(([signature, n]) => ({ signature, policy, failures: n })));
  const recommendations = recommend({
    failures: rows,
    mapping: (family) => defaultMapping(family),
    severity: (p) => policyByCode(p)?.severity ?? 1,
  });
  return {
    region: slice.region, version: slice.model.version, slice_id: slice.slice_id, items: slice.items.length,
    failures, pending, primaries, byItem, recommendations,
  };
}

/** Does an observed primary code name the plant's expected signature (full code or family)? */
export function namesSignature(observed: string | null | undefined, expected: string): boolean {
  return !!observed && (observed === expected || observed.startsWith(`${expected}.`));
}

export interface WorldCheck {
  /** Planted failures whose primary is not the plant's signature. */
  misdiagnosed: Array<{ slice_id: string; item_id: string; plant: string; expected: string; got: string | null }>;
  /** Slices with an active plant whose top recommendation is not the plant's intervention. */
  wrongTop: Array<{ slice_id: string; plant: string; expected: string; got: string | null; runnerUp: string | null; margin: number }>;
  /** Slices whose primaries differ from what the generator recorded by construction. */
  truthMismatch: Array<{ slice_id: string; policy: string; code: string; expected: number; got: number }>;
  /** Smallest ratio top score ÷ runner-up score over slices with an active plant. */
  minTopMargin: number;
  planted: number;
}

/** Diagnoses every slice and compares with the plants and with the generator's own truth. */
export function checkWorld(world: Pick<World, 'slices' | 'plants'>): WorldCheck {
  const plants = new Map<string, Plant>(world.plants.map((p) => [p.id, p]));
  const out: WorldCheck = { misdiagnosed: [], wrongTop: [], truthMismatch: [], minTopMargin: Infinity, planted: 0 };
  for (const slice of world.slices) {
    const d = diagnoseSlice(slice);
    for (const entry of slice.truth.planted) {
      const plant = plants.get(entry.plant)!;
      for (const id of entry.items) {
        out.planted++;
        const got = d.byItem.get(id)?.primary ?? null;
        if (!namesSignature(got, plant.expectSignature)) out.misdiagnosed.push({ slice_id: slice.slice_id, item_id: id, plant: plant.id, expected: plant.expectSignature, got });
      }
      const [top, next] = d.recommendations;
      const margin = top && next ? top.score / next.score : Infinity;
      if (top?.intervention !== plant.expectIntervention) {
        out.wrongTop.push({ slice_id: slice.slice_id, plant: plant.id, expected: plant.expectIntervention, got: top?.intervention ?? null, runnerUp: next?.intervention ?? null, margin });
      } else out.minTopMargin = Math.min(out.minTopMargin, margin);
    }
    const policies = new Set([...Object.keys(d.primaries), ...Object.keys(slice.truth.expected)]);
    for (const policy of policies) {
      const codes = new Set([...Object.keys(d.primaries[policy] ?? {}), ...Object.keys(slice.truth.expected[policy] ?? {})]);
      for (const code of codes) {
        const e = slice.truth.expected[policy]?.[code] ?? 0;
        const g = d.primaries[policy]?.[code] ?? 0;
        if (e !== g) out.truthMismatch.push({ slice_id: slice.slice_id, policy, code, expected: e, got: g });
      }
    }
  }
  return out;
}
