// The queue consumers: the ingest queue carries large slices to ingest, GPU backend jobs and item
// partition syncs; the notification queue carries slices' events and webhook deliveries (notify/).
import type { Bindings, IngestMessage, NotifyQueueMessage, PartitionSyncMessage, QueueMessage } from './env.ts';
import { handleIngestMessage } from './ingest/consumer.ts';
import { handleProbeMessage } from './probes/consumer.ts';
import { handlePartitionSyncs } from './store/partition/sync-consumer.ts';
import { handleNotifyMessages } from './notify/consumer.ts';
import { onPublished, onSliceComplete } from './hooks.ts';

const isNotify = (m: Message<QueueMessage | NotifyQueueMessage>): m is Message<NotifyQueueMessage> => m.body.kind === 'notify' || m.body.kind === 'deliver';

export async function handleQueue(batch: MessageBatch<QueueMessage | NotifyQueueMessage>, env: Bindings): Promise<void> {
  const notify = batch.messages.filter(isNotify);
  if (notify.length) await handleNotifyMessages(env, notify);
  // Partition syncs (their own queue; older messages may still sit on the ingest queue).
  const syncs = batch.messages.filter((m): m is Message<PartitionSyncMessage> => m.body.kind === 'partition-sync');
  for (const r of await handlePartitionSyncs(env, syncs.map((m) => m.body))) {
    // A failed sync is retried by the queue; the cron's catch-up covers one given up.
    if (r.error) console.error(`partition sync of ${syncs[r.indexes[0]].body.region}/${syncs[r.indexes[0]].body.sliceId} failed: ${r.error.message}`);
    for (const i of r.indexes) { if (r.error) syncs[i].retry(); else syncs[i].ack(); }
  }
  for (const m of batch.messages) {
    if (isNotify(m) || m.body.kind === 'partition-sync') continue;
    if (m.body.kind === 'probe') {
      await handleProbeMessage(env, m as Message<typeof m.body>, onSliceComplete(env));
      continue;
    }
    await handleIngestMessage(env, m as Message<IngestMessage>, onPublished(env));
  }
}
