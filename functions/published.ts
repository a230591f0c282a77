// What runs once a slice is published (ingest's `onPublished`, handed in by every entry point):
// label events parked while it was processing are applied, then the slice — as it is after
// them — is synced into its item partition (a queue message: ingest stays free of partitions).
import type { OnPublished } from './ingest/publish.ts';
import { applyStrandedLabels } from './labels/stranded.ts';
import { requestSliceSync } from './store/partition/messages.ts';

export const onSlicePublished: OnPublished = async (env, s) => {
  await applyStrandedLabels(env.DB, s);
  await requestSliceSync(env, s);
};
