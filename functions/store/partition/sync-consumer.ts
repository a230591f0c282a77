// A "partition-sync" queue message: the slice (or some of its items) synced from D1's current
// state. A slice not committed (yet, or any more) has nothing to sync: the message is done.
import type { Bindings, PartitionSyncMessage } from '../../env.ts';
import { committedSlice, syncItems, syncSlice } from './sync.ts';

export async function handlePartitionSync(env: Bindings, msg: PartitionSyncMessage): Promise<void> {
  const slice = await committedSlice(env.DB, msg.region, msg.sliceId);
  if (!slice) return;
  if (msg.itemIds) await syncItems(env, slice, msg.itemIds);
  else await syncSlice(env, slice);
}

/**
 * A batch of sync messages, one sync per slice: a whole-slice message covers the slice, else the
 * union of the items named. Returns each slice's messages with whether its sync failed (the
 * caller retries those; a sync is idempotent, so a retry repeats no count).
 */
export async function handlePartitionSyncs(env: Bindings, msgs: PartitionSyncMessage[]): Promise<Array<{ indexes: number[]; error?: Error }>> {
  const bySlice = new Map<string, { msg: PartitionSyncMessage; ids: Set<string> | null; indexes: number[] }>();
  msgs.forEach((m, i) => {
    const k = `${m.region}\u0000${m.sliceId}`;
    let g = bySlice.get(k);
    if (!g) bySlice.set(k, (g = { msg: m, ids: new Set(), indexes: [] }));
    g.indexes.push(i);
    if (!m.itemIds) g.ids = null;
    else if (g.ids) for (const id of m.itemIds) g.ids.add(id);
  });
  const out: Array<{ indexes: number[]; error?: Error }> = [];
  for (const g of bySlice.values()) {
    try {
      await handlePartitionSync(env, { ...g.msg, itemIds: g.ids ? [...g.ids] : undefined });
      out.push({ indexes: g.indexes });
    } catch (e) {
      out.push({ indexes: g.indexes, error: e as Error });
    }
  }
  return out;
}
