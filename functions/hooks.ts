// What the entry points hand to ingest and the GPU backend jobs (ingest/ and probes/ know
// neither labels/ nor notify/): after a slice's commit, its parked label events are applied,
// then the slice — as it is after them — is synced into its item partition (a queue message)
// and its notification events are queued; when its last job is done, the same for `complete`.
import type { Bindings } from './env.ts';
import type { OnPublished } from './ingest/publish.ts';
import { applyStrandedLabels } from './labels/stranded.ts';
import { queueNotify } from './notify/hooks.ts';
import { requestSliceSync } from './store/partition/messages.ts';

export const onPublished = (env: Bindings): OnPublished => async (d1, slice) => {
  await applyStrandedLabels(env, slice);
  await requestSliceSync(env, slice);
  await queueNotify(env, slice.region, slice.sliceId, 'commit');
};

export const onSliceComplete = (env: Bindings) => (slice: { region: string; sliceId: string }) =>
  queueNotify(env, slice.region, slice.sliceId, 'complete');
