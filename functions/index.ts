// Worker entry: HTTP via Hono, the queue consumers (large slices, GPU backend jobs, notifications), the cron.
import { createApp } from './app.ts';
import { handleQueue } from './queue.ts';
import type { Bindings, NotifyQueueMessage, QueueMessage } from './env.ts';
import { requeueStaleProbeJobs } from './store/probe-jobs.ts';
import { sweepAbandonedStreams } from './ingest/claim.ts';
import { drainStranded } from './labels/consensus.ts';
import { syncWritten } from './store/partition/sync.ts';
import { maintainItemStore } from './services/item-store.ts';

export { ItemPartition } from './store/partition/item-partition.ts';

/** Items the cron syncs into item partitions per run (the migration route takes more calls). */
const CRON_SYNC_ITEMS = 200_000;

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<QueueMessage | NotifyQueueMessage>, env: Bindings) => handleQueue(batch, env),
  // Cron: GPU backend jobs whose queue message was lost get sent again; streamed submissions
  // that died before their commit are removed; label events parked while their slice was
  // processing, and not applied right after its commit, are applied; slices not yet in their
  // item partition, or edited since their last sync, are synced (the migration, resumed), and
  // D1's copy of the items of quiet, fully copied slices is evicted.
  scheduled: async (_c: ScheduledController, env: Bindings) => {
    await requeueStaleProbeJobs(env);
    await sweepAbandonedStreams(env.DB);
    await drainStranded(env, undefined, (written) => syncWritten(env, written));
    await maintainItemStore(env, CRON_SYNC_ITEMS);
  },
} satisfies ExportedHandler<Bindings, QueueMessage | NotifyQueueMessage>;
