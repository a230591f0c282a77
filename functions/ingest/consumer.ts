// Queue consumer: diagnoses a large slice from its validated body in R2. Safe to retry: item
// parts are INSERT OR REPLACE on deterministic keys and the commit is guarded by the ledger.
import type { Bindings, IngestMessage, QueueMessage } from '../env.ts';
import { enqueueProbeJobs } from '../probes/enqueue.ts';
import { handleProbeMessage } from '../probes/consumer.ts';
import { ApiError } from '../lib/errors.ts';
import { readLineBatches } from './lines.ts';
import { SliceProcessor } from './processor.ts';
import { loadPendingLabels } from '../labels/pending.ts';
import { applyStrandedLabels } from './stranded.ts';
import { AlreadyCommitted, commitSlice } from './commit.ts';
import { failSlice, renewLease, type SliceRow } from './claim.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

const RENEW_EVERY = 5_000; // items

export async function processIngestMessage(env: Bindings, msg: IngestMessage): Promise<void> {
  const row = await env.DB.prepare('SELECT * FROM slices WHERE pk = ?').bind(msg.slicePk).first<SliceRow>();
  // Done, or taken over by a newer submission of the same content (which sent its own message).
  if (!row || row.status !== 'processing' || row.owner !== msg.owner) return;
  const obj = await env.SLICES.get(msg.r2Key);
  if (!obj) throw new Error(`slice body ${msg.r2Key} is missing from R2`);
  const pendingLabels = await loadPendingLabels(env.DB, row.region, row.slice_id); // [labels]
  const proc = new SliceProcessor(env.DB, row.pk, row.buckets, { pendingLabels, owner: msg.owner });
  let first = true;
  let n = 0;
  for await (const batch of readLineBatches(obj.body)) {
    for (const line of batch) {
      if (first) { first = false; continue; } // the header, validated at submission
      const writing = proc.add(JSON.parse(line.text) as EvalItem, line.text);
      if (writing) await writing; // only when a D1 batch goes out
      if (++n % RENEW_EVERY === 0 && !(await renewLease(env.DB, row.pk, msg.owner))) return;
    }
  }
  await proc.finish();
  try {
    const { probe_jobs } = await commitSlice(env.DB, {
      pk: row.pk, owner: msg.owner, region: row.region, modelId: row.model_id, modelVersion: row.model_version,
      modelStage: row.model_stage, createdAt: row.created_at,
    }, proc.delta, proc.probeWork, [...pendingLabels.deleteStatements(env.DB), ...proc.votes.statements(env.DB, { region: row.region, sliceId: row.slice_id, pk: row.pk })]);
    if (probe_jobs) await enqueueProbeJobs(env, row.pk, probe_jobs);
    await applyStrandedLabels(env.DB, row.region, row.slice_id);
  } catch (e) {
    if (!(e instanceof AlreadyCommitted)) throw e;
  }
  await env.SLICES.delete(msg.r2Key);
}

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Bindings): Promise<void> {
  for (const m of batch.messages) {
    if (m.body.kind === 'probe') {
      await handleProbeMessage(env, m as Message<typeof m.body>);
      continue;
    }
    const msg = m as Message<IngestMessage>;
    await handleIngestMessage(env, msg);
  }
}

async function handleIngestMessage(env: Bindings, m: Message<IngestMessage>): Promise<void> {
  {
    try {
      await processIngestMessage(env, m.body);
      m.ack();
    } catch (e) {
      if (e instanceof ApiError) {
        // Permanent (e.g. a model.stage conflict found at commit): retrying cannot help.
        await failSlice(env.DB, m.body.slicePk, m.body.owner, e.message);
        await env.SLICES.delete(m.body.r2Key).catch(() => undefined);
        m.ack();
        return;
      }
      const reason = (e as Error).message;
      console.error(`ingest of slice ${m.body.slicePk} failed (attempt ${m.attempts}): ${reason}`);
      // After the last retry the message goes to the dead-letter queue; say so on the slice.
      if (m.attempts >= 5) await failSlice(env.DB, m.body.slicePk, m.body.owner, `ingest failed after ${m.attempts} attempts: ${reason}`);
      m.retry({ delaySeconds: Math.min(60, 2 ** m.attempts) });
    }
  }
}
