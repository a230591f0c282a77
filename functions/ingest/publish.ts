// The end of every ingest path (a small slice in the request, a streamed one, one from the
// queue): parked label events are read, the path feeds its items through the processor (which
// applies those events, diagnoses and writes the parts), and ONE commit batch publishes the
// slice — counters, ledger, summary, probe jobs, the parked events it applied (deleted) and the
// votes inside its items. Then the GPU backend jobs are sent and `onPublished` runs (the entry
// points pass functions/hooks.ts: events parked while the slice was processing are applied,
// the slice is synced into its item partition and its notification events are queued).
import type { Bindings } from '../env.ts';
import type { SliceHeader } from '../schemas/item.ts';
import { loadPendingLabels } from '../store/pending-labels.ts';
import { enqueueProbeJobs } from '../store/probe-jobs.ts';
import type { SliceSummaryBody } from '../store/slices.ts';
import { SliceProcessor } from './processor.ts';
import { commitSlice } from './commit.ts';

/** Runs once a slice is published (committed and its probe jobs sent). */
export type OnPublished = (d1: D1Database, slice: { region: string; sliceId: string }) => Promise<void>;

/** The claimed slice being published. `createdAt` is read from its row when not given. */
export interface Publishing {
  pk: number; owner: string; buckets: number; region: string; sliceId: string;
  model: SliceHeader['model']; createdAt?: string;
}

/**
 * Feeds the slice's items (`feed` adds them to the processor; false: the claim was lost, stop
 * without committing — then null), commits and sends its probe jobs. `contentHash`: a streamed
 * slice learns its hash only at the end (its commit then also checks the claim). Errors (the
 * commit's AlreadyCommitted among them) go to the caller, whose clean-up differs by path; a
 * write in flight has ended by then.
 */
export async function publishSlice(
  env: Bindings, s: Publishing, feed: (proc: SliceProcessor) => Promise<boolean | void>,
  opts: { contentHash?: () => Promise<string>; onPublished?: OnPublished } = {},
): Promise<SliceSummaryBody | null> {
  const pendingLabels = await loadPendingLabels(env.DB, s.region, s.sliceId);
  const proc = new SliceProcessor(env.DB, s.pk, s.buckets, { pendingLabels, owner: s.owner });
  try {
    if ((await feed(proc)) === false) {
      await proc.settle();
      return null;
    }
    await proc.finish();
  } catch (e) {
    await proc.settle();
    throw e;
  }
  const hash = opts.contentHash ? await opts.contentHash() : undefined;
  const createdAt = s.createdAt
    ?? (await env.DB.prepare('SELECT created_at FROM slices WHERE pk = ?').bind(s.pk).first<{ created_at: string }>())!.created_at;
  const { probe_jobs, ...summary } = await commitSlice(env.DB, {
    pk: s.pk, owner: s.owner, region: s.region, modelId: s.model.id, modelVersion: s.model.version, modelStage: s.model.stage, createdAt,
  }, proc.delta, proc.probeWork, [
    ...pendingLabels.deleteStatements(env.DB),
    ...proc.votes.statements(env.DB, { region: s.region, sliceId: s.sliceId, pk: s.pk }),
  ], hash);
  if (probe_jobs) await enqueueProbeJobs(env, s.pk, probe_jobs);
  await opts.onPublished?.(env.DB, { region: s.region, sliceId: s.sliceId });
  return { slice_id: s.sliceId, status: probe_jobs ? 'probing' : 'complete', ...summary };
}
