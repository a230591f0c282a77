// GPU backend jobs that failed repeatedly and webhook deliveries given up on (dead_letters, by
// `queue`: probe | notify), and sending one again.
import type { Bindings, DeliverMessage, ProbeMessage } from '../env.ts';
import { ApiError, notFound } from '../lib/errors.ts';
import { nowIso, type Row } from '../lib/db.ts';
import type { deadLetters } from '../../db/schema.ts';
import { sendProbeMessages } from '../store/probe-jobs.ts';

export type DeadRow = Row<typeof deadLetters>;

/** The newest 500, not replayed yet unless `all`. */
export async function listDeadLetters(d1: D1Database, all: boolean): Promise<DeadRow[]> {
  const { results } = await d1.prepare(`SELECT * FROM dead_letters${all ? '' : ' WHERE replayed_at IS NULL'} ORDER BY id DESC LIMIT 500`).all<DeadRow>();
  return results;
}

/** A dead delivery: pending again with a fresh retry window, and one queue message. */
async function replayDelivery(env: Bindings, id: number, body: DeliverMessage, now: string): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(`UPDATE notify_deliveries SET status = 'pending', attempts = 0, first_attempt_at = NULL WHERE subscription_id = ? AND event_id = ? AND status = 'dead'`)
      .bind(body.subscriptionId, body.eventId),
    env.DB.prepare('UPDATE dead_letters SET replayed_at = ? WHERE id = ?').bind(now, id),
  ]);
  await env.NOTIFY_QUEUE.send(body);
}

/** Queues the dead job or delivery again (404 unknown id, 409 replayed before). */
export async function replayDeadLetter(env: Bindings, id: number): Promise<void> {
  const row = await env.DB.prepare('SELECT * FROM dead_letters WHERE id = ?').bind(id).first<DeadRow>();
  if (!row) throw notFound(`id: no dead letter ${id}`);
  if (row.replayed_at) throw new ApiError(409, 'conflict', `id: dead letter ${id} was already replayed at ${row.replayed_at}`);
  const now = nowIso();
  if (row.queue === 'notify') return replayDelivery(env, id, JSON.parse(row.body) as DeliverMessage, now);
  const body = JSON.parse(row.body) as ProbeMessage;
  await env.DB.batch([
    env.DB.prepare(`UPDATE probe_jobs SET status = 'queued', attempts = 0, error = NULL, updated_at = ? WHERE slice_pk = ? AND batch = ? AND status = 'dead'`)
      .bind(now, body.slicePk, body.batch),
    env.DB.prepare('UPDATE dead_letters SET replayed_at = ? WHERE id = ?').bind(now, id),
  ]);
  await sendProbeMessages(env, [body]);
}
