// Worker entry: HTTP via Hono, and the queue consumer for large slices.
import { createApp } from './app.ts';
import { handleQueue } from './ingest/consumer.ts';
import type { Bindings, QueueMessage } from './env.ts';
import { requeueStaleProbeJobs } from './probes/enqueue.ts';
import { sweepAbandonedStreams } from './ingest/claim.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<QueueMessage>, env: Bindings) => handleQueue(batch, env),
  // Cron: GPU backend jobs whose queue message was lost get sent again; streamed submissions
  // that died before their commit are removed.
  scheduled: async (_c: ScheduledController, env: Bindings) => {
    await requeueStaleProbeJobs(env);
    await sweepAbandonedStreams(env.DB);
  },
} satisfies ExportedHandler<Bindings, QueueMessage>;
