// Per-isolate caches of the item store: where an item's current record is.
import type { StoredItem } from './format.ts';

/** Where an item's current record is: its overlay row, or its copy in a part. */
export interface ItemLoc {
  rec: StoredItem;
  /** The overlay row's rev when `rec` is the item's overlay; 0 when `rec` is its copy in a part. */
  orev: number;
  bucket: number;
  /** orev 0: the part holding the record and the part's rev when it was read (−1 otherwise). */
  part: number;
  prev: number;
}

// A per-isolate cache of item locations, so a label event on an item seen before needs no D1
// read. It never decides anything on its own: every write carries the revs its content came
// from and the guards abort the batch if anything moved on (another isolate, the consensus run,
// the GPU backend); the caller then evicts, re-reads and retries. Records of complete/probing
// slices only. Bounded by the JSON size of the records held; records are never mutated.
// Forgotten after ITEM_CACHE_TTL_MS: once a slice's D1 copy is evicted, an old location is no
// longer caught by a guard (editor.ts), and eviction waits far longer than this (evict.ts).
const ITEM_CACHE_BYTES = 24 * 1024 * 1024;
export const ITEM_CACHE_TTL_MS = 2 * 60_000;
export const itemCache = new Map<string, { loc: ItemLoc; bytes: number; at: number }>(); // insertion order = LRU order
let itemCacheBytes = 0;
export const itemKey = (slicePk: number, itemId: string) => `${slicePk}\u0000${itemId}`;

/** A cached location not older than ITEM_CACHE_TTL_MS. */
export function cacheGet(slicePk: number, itemId: string): ItemLoc | undefined {
  const c = itemCache.get(itemKey(slicePk, itemId));
  if (!c) return undefined;
  if (Date.now() - c.at < ITEM_CACHE_TTL_MS) return c.loc;
  cacheEvict(slicePk, itemId);
  return undefined;
}

export function cacheEvict(slicePk: number, itemId: string): void {
  const k = itemKey(slicePk, itemId);
  const c = itemCache.get(k);
  if (!c) return;
  itemCache.delete(k);
  itemCacheBytes -= c.bytes;
}

/** Caches a location; `speculative` (a neighbour in a part read for another item) never
 *  replaces what is held: the part's copy may be shadowed by an overlay this isolate wrote. */
export function cachePut(slicePk: number, itemId: string, loc: ItemLoc, bytes: number, speculative = false): void {
  const k = itemKey(slicePk, itemId);
  const held = itemCache.get(k);
  if (held) {
    if (speculative) return;
    itemCache.delete(k);
    itemCacheBytes -= held.bytes;
  }
  itemCache.set(k, { loc, bytes, at: Date.now() });
  itemCacheBytes += bytes;
  while (itemCacheBytes > ITEM_CACHE_BYTES && itemCache.size > 1) {
    const [oldest, c] = itemCache.entries().next().value!;
    itemCache.delete(oldest);
    itemCacheBytes -= c.bytes;
  }
}

