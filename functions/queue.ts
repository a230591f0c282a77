// The queue consumer: one queue carries large slices to ingest, GPU backend jobs and item
// partition syncs.
import type { Bindings, IngestMessage, QueueMessage } from './env.ts';
import { handleIngestMessage } from './ingest/consumer.ts';
import { handleProbeMessage } from './probes/consumer.ts';
import { handlePartitionSync } from './store/partition/sync-consumer.ts';
import { onSlicePublished } from './published.ts';

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Bindings): Promise<void> {
  for (const m of batch.messages) {
    if (m.body.kind === 'probe') {
      await handleProbeMessage(env, m as Message<typeof m.body>);
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
    await handleIngestMessage(env, m as Message<IngestMessage>, onSlicePublished);
  }
}
