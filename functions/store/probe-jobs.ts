// Sending GPU backend jobs to the queue. Jobs live in D1 (probe_jobs); a message only says
// "work on job k of slice s", so a lost or duplicated message costs nothing but a resend.
import type { Bindings, ProbeMessage } from '../env.ts';

const SEND_BATCH = 100; // Queues: at most 100 messages per sendBatch

export async function sendProbeMessages(env: Bindings, msgs: ProbeMessage[]): Promise<void> {
  for (let i = 0; i < msgs.length; i += SEND_BATCH) {
    await env.INGEST_QUEUE.sendBatch(msgs.slice(i, i + SEND_BATCH).map((body) => ({ body })));
  }
}

export async function enqueueProbeJobs(env: Bindings, slicePk: number, jobs: number): Promise<void> {
  await sendProbeMessages(env, Array.from({ length: jobs }, (_, batch) => ({ kind: 'probe' as const, slicePk, batch })));
}

/** Jobs still queued after `staleMs` (their message lost, e.g. a send failing after commit). */
export async function requeueStaleProbeJobs(env: Bindings, staleMs = 10 * 60_000): Promise<number> {
  const cutoff = new Date(Date.now() - staleMs).toISOString();
  const { results } = await env.DB.prepare(`SELECT slice_pk, batch FROM probe_jobs WHERE status = 'queued' AND updated_at < ? LIMIT 1000`)
    .bind(cutoff).all<{ slice_pk: number; batch: number }>();
  if (!results.length) return 0;
  const now = new Date().toISOString();
  await env.DB.batch(results.map((r) => env.DB.prepare('UPDATE probe_jobs SET updated_at = ? WHERE slice_pk = ? AND batch = ?').bind(now, r.slice_pk, r.batch)));
  await sendProbeMessages(env, results.map((r) => ({ kind: 'probe', slicePk: r.slice_pk, batch: r.batch })));
  return results.length;
}
