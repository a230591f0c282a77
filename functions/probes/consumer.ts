// Queue consumer for GPU backend jobs: one backend call fills in the prediction and the
// seven probes of up to 32 items, which are re-diagnosed and their counters moved — in one
// D1 batch with the job's own `done`, so a job counts exactly once whatever the retries.
// Items the backend can never score (isolate.ts) are marked unprobeable in the same batch, so
// the job still ends `done` and the slice `complete`.
import type { Bindings, ProbeMessage } from '../env.ts';
import { InferenceError } from '../../gpu-backend/client/index.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { readItems, rediagnose, type Editor } from '../store/items/editor.ts';
import { planSliceEdit } from '../store/items/slice-edit.ts';
import type { StoredItem } from '../store/items/format.ts';
import { sliceByPk } from '../store/slices.ts';
import { abortOf, guardSql, withRetry } from '../store/guards.ts';
import { PROBE_ERROR_FIELD } from '../store/items/format.ts';
import { backendFromEnv } from '../lib/backend.ts';
import { featureDims } from '../lib/feature-dims.ts';
import { probeIsolating } from './isolate.ts';
import { syncWritten } from '../store/partition/sync.ts';

/** After this many failed attempts a job goes to the dead letters (an admin can replay it). */
export const MAX_PROBE_ATTEMPTS = 4;

type Job = { slice_pk: number; batch: number; item_ids: string; status: string; attempts: number };

/** Runs when a job's batch made its slice `complete` (the entry points queue its notifications). */
export type OnSliceComplete = (slice: { region: string; sliceId: string }) => Promise<void>;

export async function processProbeJob(env: Bindings, msg: ProbeMessage, onComplete?: OnSliceComplete): Promise<'done' | 'skipped'> {
  const job = await env.DB.prepare('SELECT * FROM probe_jobs WHERE slice_pk = ? AND batch = ?').bind(msg.slicePk, msg.batch).first<Job>();
  if (!job || job.status !== 'queued') return 'skipped';
  const slice = (await sliceByPk(env.DB, msg.slicePk))!;
  const ids = JSON.parse(job.item_ids) as string[];
  const wanted = new Set(ids);
  // A label change racing this job: read and call the backend again, up to 4 times; then the
  // queue retries later.
  return withRetry(async () => {
    // The items as stored now (a label may have changed since ingest), then one backend call.
    const list: EvalItem[] = [...(await readItems(env, slice, wanted)).values()].map((rec) => rec.i);
    // A malformed item is marked unprobeable (with the reason) instead of failing the job.
    const results = await probeIsolating(backendFromEnv(env), list, await featureDims(env));
    const editors = new Map<string, Editor>(list.map((item, i) => {
      const r = results[i];
      return [item.item_id, (rec: StoredItem) => rediagnose(rec, 'error' in r ? { ...rec.i, [PROBE_ERROR_FIELD]: r.error } : {
        ...rec.i,
        // A submitted prediction is kept; the backend's fills in only what is missing.
        prediction: rec.i.prediction ?? { score: r.ok.score, source: 'gpu-backend' },
        probes: { ...r.ok.probes, ...(rec.i.probes ?? {}) },
      }, rec.c)];
    }));
    // Shared with the consensus run: rev-guarded writes (overlay rows or parts) and every counter the change moves.
    const plan = await planSliceEdit(env, slice, editors);
    const now = new Date().toISOString();
    try {
      const results = await env.DB.batch([
        env.DB.prepare(`UPDATE probe_jobs SET status = 'done', attempts = attempts + 1, error = NULL, updated_at = ? WHERE slice_pk = ? AND batch = ? AND status = 'queued'`)
          .bind(now, msg.slicePk, msg.batch),
        env.DB.prepare(guardSql('changes() = 1', 'job-done')),
        ...plan.statements,
        env.DB.prepare(`UPDATE slices SET status = 'complete', updated_at = ? WHERE pk = ? AND status = 'probing'
          AND NOT EXISTS (SELECT 1 FROM probe_jobs WHERE slice_pk = ? AND status != 'done')`).bind(now, msg.slicePk, msg.slicePk),
      ]);
      plan.committed();
      // Only the job whose batch flipped the slice sees a change here: one `complete` per slice.
      if (results[results.length - 1].meta.changes === 1) await onComplete?.({ region: slice.region, sliceId: slice.slice_id });
      // The partition's copy of the items written follows (a sync message if that call fails).
      await syncWritten(env, plan.written);
      return 'done';
    } catch (e) {
      plan.failed();
      if (abortOf(e) === 'job-done') return 'skipped'; // a duplicate message finished it
      throw e;
    }
  }, { attempts: 4, pause: false });
}

export async function handleProbeMessage(env: Bindings, m: Message<ProbeMessage>, onComplete?: OnSliceComplete): Promise<void> {
  try {
    await processProbeJob(env, m.body, onComplete);
    m.ack();
  } catch (e) {
    const err = e as Error;
    const permanent = e instanceof InferenceError && !e.retryable;
    const reason = `${err.name}: ${err.message}`;
    console.error(`probe job ${m.body.slicePk}/${m.body.batch} failed (attempt ${m.attempts}): ${reason}`);
    if (permanent || m.attempts >= MAX_PROBE_ATTEMPTS) {
      // Transient or deployment failures (malformed items were isolated above): items stay
      // UNPROBED (or pending); the slice stays `probing` until a replay succeeds.
      const now = new Date().toISOString();
      await env.DB.batch([
        env.DB.prepare(`UPDATE probe_jobs SET status = 'dead', attempts = ?, error = ?, updated_at = ? WHERE slice_pk = ? AND batch = ? AND status = 'queued'`)
          .bind(m.attempts, reason.slice(0, 1000), now, m.body.slicePk, m.body.batch),
        env.DB.prepare(`INSERT INTO dead_letters (queue, body, error, attempts, created_at) SELECT 'probe', ?, ?, ?, ? WHERE changes() = 1`)
          .bind(JSON.stringify(m.body), reason.slice(0, 1000), m.attempts, now),
      ]);
      m.ack();
      return;
    }
    await env.DB.prepare('UPDATE probe_jobs SET attempts = ?, error = ?, updated_at = ? WHERE slice_pk = ? AND batch = ?')
      .bind(m.attempts, reason.slice(0, 1000), new Date().toISOString(), m.body.slicePk, m.body.batch).run();
    const base = Number(env.PROBE_RETRY_SECONDS ?? 5);
    m.retry({ delaySeconds: Math.min(300, Math.round(base * 2 ** (m.attempts - 1))) });
  }
}
