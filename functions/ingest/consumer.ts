// Queue consumer: diagnoses a large slice from its validated body in R2. Safe to retry: item
// parts are INSERT OR REPLACE on deterministic keys and the commit is guarded by the ledger.
import type { Bindings, IngestMessage } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { readLineBatches } from './lines.ts';
import { AlreadyCommitted } from './commit.ts';
import { failSlice, renewLease } from './claim.ts';
import { publishSlice, type OnPublished } from './publish.ts';
import { sliceByPk } from '../store/slices.ts';
import type { SliceHeader } from '../schemas/item.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

const RENEW_EVERY = 5_000; // items

export async function processIngestMessage(env: Bindings, msg: IngestMessage, onPublished?: OnPublished): Promise<void> {
  const row = await sliceByPk(env.DB, msg.slicePk);
  // Done, or taken over by a newer submission of the same content (which sent its own message).
  if (!row || row.status !== 'processing' || row.owner !== msg.owner) return;
  const obj = await env.SLICES.get(msg.r2Key);
  if (!obj) throw new Error(`slice body ${msg.r2Key} is missing from R2`);
  try {
    const published = await publishSlice(env, {
      pk: row.pk, owner: msg.owner, buckets: row.buckets, region: row.region, sliceId: row.slice_id,
      model: { id: row.model_id, version: row.model_version, stage: row.model_stage as SliceHeader['model']['stage'] }, createdAt: row.created_at,
    }, async (proc) => {
      let first = true;
      let n = 0;
      for await (const batch of readLineBatches(obj.body)) {
        for (const line of batch) {
          if (first) { first = false; continue; } // the header, validated at submission
          const writing = proc.add(JSON.parse(line.text) as EvalItem, line.text);
          if (writing) await writing; // only when a D1 batch goes out
          if (++n % RENEW_EVERY === 0 && !(await renewLease(env.DB, row.pk, msg.owner))) return false;
        }
      }
    }, { onPublished });
    if (!published) return; // the claim was taken over: the new owner finishes the slice
  } catch (e) {
    if (!(e instanceof AlreadyCommitted)) throw e;
  }
  await env.SLICES.delete(msg.r2Key);
}

/** A slice's queue message: processed, or failed for good (an ApiError, or the last retry). */
export async function handleIngestMessage(env: Bindings, m: Message<IngestMessage>, onPublished?: OnPublished): Promise<void> {
  {
    try {
      await processIngestMessage(env, m.body, onPublished);
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
