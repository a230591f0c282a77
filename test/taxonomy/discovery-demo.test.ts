// The demo's hidden slices (scripts/demo/discovery.ts) are what SPEC §11 discovery finds: in a
// region of each plant, diagnosed by the taxonomy and counted per policy as the store counts,
// the plant is the top slice with exactly its predicates (the bench measures all 120 regions).
import { describe, expect, it } from 'vitest';
import { hiddenPlants, hiddenSliceItems } from '../../scripts/demo/discovery.ts';
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import { discover, emptyCounts, featuresOf, pooledCounts, tally, type DiscoveryCounts } from '../../taxonomy/discovery/index.ts';

const REGIONS = ['BR', 'AR', 'MX', 'CO', 'PE', 'CL', 'US', 'CA', 'FR', 'DE'];

describe('demo hidden slices', () => {
  const world = hiddenPlants(REGIONS);
  it('half the regions carry a plant, the others none', () => {
    expect(world.free).toEqual(['AR', 'CO', 'CL', 'CA', 'DE']);
    expect(world.plants.map((p) => p.regions)).toEqual([['BR'], ['MX'], ['PE'], ['US'], ['FR']]);
  });

  for (const plant of world.plants) {
    it(`${plant.id} (${plant.predicates.map((p) => p.join('=')).join(' & ')}) is found at rank 1 in ${plant.regions[0]}`, () => {
      const parts = new Map<string, DiscoveryCounts>();
      const primaries = new Map<string, number>();
      for (const item of hiddenSliceItems(plant.regions[0], 3000, plant)) {
        const d = diagnoseItem(item, { threshold: 0.5 });
        if (d.outcome === 'pending' || d.excluded) continue;
        if (d.failure) primaries.set(d.primary!, (primaries.get(d.primary!) ?? 0) + 1);
        if (!parts.has(item.policy)) parts.set(item.policy, emptyCounts());
        tally(parts.get(item.policy)!, featuresOf(item).filter(([f]) => f !== 'policy'), d.failure ? d.primary : null);
      }
      // Its failures land where the plant says: UNEXPLAINED ones exist only in such plants.
      expect(primaries.has('UNEXPLAINED')).toBe(plant.lands === 'UNEXPLAINED');
      const res = discover(pooledCounts([...parts].map(([p, counts]) => ({ predicates: [['policy', p]], counts }))),
        plant.lands === 'UNEXPLAINED' ? { signature: 'UNEXPLAINED' } : {});
      const top = res.slices[0].predicates.map((p) => [p.feature, p.value]);
      expect(top.sort()).toEqual([...plant.predicates].sort());
    });
  }
});
