// The queue consumer: one queue carries large slices to ingest and GPU backend jobs.
import type { Bindings, IngestMessage, QueueMessage } from './env.ts';
import { handleIngestMessage } from './ingest/consumer.ts';
import { handleProbeMessage } from './probes/consumer.ts';
import { applyStrandedLabels } from './labels/stranded.ts';

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Bindings): Promise<void> {
  for (const m of batch.messages) {
    if (m.body.kind === 'probe') {
      await handleProbeMessage(env, m as Message<typeof m.body>);
      continue;
    }
    await handleIngestMessage(env, m as Message<IngestMessage>, applyStrandedLabels);
  }
}
