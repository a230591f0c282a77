// The queue consumers: the ingest queue carries large slices to ingest and GPU backend jobs;
// the notification queue carries slices' events and webhook deliveries (notify/).
import type { Bindings, IngestMessage, NotifyQueueMessage, QueueMessage } from './env.ts';
import { handleIngestMessage } from './ingest/consumer.ts';
import { handleProbeMessage } from './probes/consumer.ts';
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
    await handleIngestMessage(env, m as Message<IngestMessage>, onPublished(env));
  }
}
