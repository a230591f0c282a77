// Which Durable Object holds the items of a region × model version, and what item reads and
// writes are given: D1 (parts and overlay rows, the write buffer) and the item partitions (where
// a slice's items stay once D1's copy is evicted: evict.ts).
import type { Bindings } from '../../env.ts';

export type ItemStore = Pick<Bindings, 'DB' | 'ITEM_PARTITIONS'>;

/** The partition of a region × model version (created on demand by its first call). */
export function partitionOf(env: Pick<Bindings, 'ITEM_PARTITIONS'>, region: string, modelId: string, version: string) {
  return env.ITEM_PARTITIONS.get(env.ITEM_PARTITIONS.idFromName(`${region}\u0000${modelId}\u0000${version}`));
}
