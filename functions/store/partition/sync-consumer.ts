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
