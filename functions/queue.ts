// The queue consumers: the ingest queue carries large slices to ingest, GPU backend jobs and item
// partition syncs; the notification queue carries slices' events and webhook deliveries (notify/).
import type { Bindings, IngestMessage, NotifyQueueMessage, QueueMessage } from './env.ts';
import { handleIngestMessage } from './ingest/consumer.ts';
import { handleProbeMessage } from './probes/consumer.ts';
import { handlePartitionSync } from './store/partition/sync-consumer.ts';
import { handleNotifyMessages } from './notify/consumer.ts';
import { onPublished, onSliceComplete } from './hooks.ts';

const isNotify = (m: Message<QueueMessage | NotifyQueueMessage>): m is Message<NotifyQueueMessage> => m.body.kind === 'notify' || m.body.kind === 'deliver';

export async function handleQueue(batch: MessageBatch<QueueMessage | NotifyQueueMessage>, env: Bindings): Promise<void> {
  const notify = batch.messages.filter(isNotify);
  if (notify.length) await handleNotifyMessages(env, notify);
  for (const m of batch.messages) {
    if (isNotify(m)) continue;
    if (m.body.kind === 'probe') {
      await handleProbeMessage(env, m as Message<typeof m.body>, onSliceComplete(env));
      continue;
    }
    if (m.body.kind === 'partition-sync') {
      // A failed sync is retried by the queue; the cron's catch-up covers one given up.
      try {
        await handlePartitionSync(env, m.body);
        m.ack();
      } catch (e) {
        console.error(`partition sync of ${m.body.region}/${m.body.sliceId} failed: ${(e as Error).message}`);
        m.retry();
      }
      continue;
    }
    await handleIngestMessage(env, m as Message<IngestMessage>, onPublished(env));
  }
}
