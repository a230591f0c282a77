// Keeping the item store in shape (issue 14): committed slices copied into their item partitions
// (syncStale: the migration, resumed), then D1's copy of the fully copied, quiet ones evicted
// (evictCopied: D1 as the write buffer). Run by the cron every few minutes and by the admin
// migration route.
import type { Bindings } from '../env.ts';
import { syncStale, type StaleSync } from '../store/partition/sync.ts';
import { evictCopied, type Evicted } from '../store/partition/evict.ts';

/** Slices whose D1 copy one run may evict (each: a partition call and a D1 batch). */
const EVICT_SLICES = 200;

export async function maintainItemStore(env: Bindings, maxItems: number): Promise<StaleSync & { evicted: Evicted }> {
  const synced = await syncStale(env, maxItems);
  return { ...synced, evicted: await evictCopied(env, EVICT_SLICES) };
}
