// The queue messages that ask for a partition sync (handled by sync-consumer.ts): sent after a
// slice commits, after GPU backend jobs edit items, and when a label delivery's own write of its
// rows fails (sync.ts syncWritten). Best effort: a
// message lost (or a send that fails) leaves the slice behind its watermark, and the cron's
// syncStale catches it up.
import type { Bindings, PartitionSyncMessage } from '../../env.ts';
import { chunk } from '../../lib/db.ts';

/** Item ids per message: 500 ids of ≤ 128 characters stay under the 128 KB of a message. */
const IDS_PER_MESSAGE = 500;

async function send(env: Bindings, messages: PartitionSyncMessage[], delaySeconds = 0): Promise<void> {
  try {
    for (const part of chunk(messages, 100)) await env.PARTITION_QUEUE.sendBatch(part.map((body) => ({ body, ...(delaySeconds > 0 ? { delaySeconds } : {}) })));
  } catch (e) {
    console.error(`partition sync not requested (the cron catches up): ${(e as Error).message}`);
  }
}

/** "Sync slice S": every item of a committed slice. Delayed by PARTITION_SYNC_DELAY_SECONDS
 *  (wrangler.toml): copying a whole slice costs more CPU than ingesting it, and a consumer run
 *  in the isolate that is still answering the submission (always so in one local workerd)
 *  would hold up its 201; the copy is asynchronous anyway. */
export function requestSliceSync(env: Bindings, s: { region: string; sliceId: string }): Promise<void> {
  const delay = Number(env.PARTITION_SYNC_DELAY_SECONDS ?? 0);
  return send(env, [{ kind: 'partition-sync', region: s.region, sliceId: s.sliceId }], Number.isFinite(delay) ? Math.min(Math.max(0, Math.floor(delay)), 3600) : 0);
}

/** "Sync items […] of slice S", for every slice the items belong to. */
export function requestItemSync(env: Bindings, items: Iterable<{ region: string; slice_id: string; item_id: string }>): Promise<void> {
  const bySlice = new Map<string, { region: string; sliceId: string; ids: Set<string> }>();
  for (const it of items) {
    const k = `${it.region}\u0000${it.slice_id}`;
    let e = bySlice.get(k);
    if (!e) bySlice.set(k, (e = { region: it.region, sliceId: it.slice_id, ids: new Set() }));
    e.ids.add(it.item_id);
  }
  return send(env, [...bySlice.values()].flatMap((e) => chunk([...e.ids], IDS_PER_MESSAGE)
    .map((itemIds) => ({ kind: 'partition-sync' as const, region: e.region, sliceId: e.sliceId, itemIds }))));
}
