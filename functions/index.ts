// Worker entry: HTTP via Hono, and the queue consumer for large slices.
import { createApp } from './app.ts';
import { handleQueue } from './ingest/consumer.ts';
import type { Bindings, IngestMessage } from './env.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<IngestMessage>, env: Bindings) => handleQueue(batch, env),
} satisfies ExportedHandler<Bindings, IngestMessage>;
