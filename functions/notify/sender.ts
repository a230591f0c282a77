// One webhook delivery attempt (SPEC §13): the event signed as a Standard Webhook (webhook-id
// stable across attempts), POSTed with a timeout; every attempt recorded with the delivery's new
// state in one batch. A non-2xx or no answer is retried on the queue after backoff.ts's delay;
// past the window (24 h) the delivery is dead and listed with the admin dead letters.
import type { Bindings, DeliverMessage } from '../env.ts';
import { nowIso } from '../lib/db.ts';
import { openSecret } from '../lib/secrets.ts';
import { secretContext } from '../services/subscriptions.ts';
import { nextRetryDelay, retryPolicy } from './backoff.ts';
import { signWebhook } from './sign.ts';

type Pending = {
  subscription_id: string; event_id: string; webhook_id: string; status: string; attempts: number; first_attempt_at: string | null;
  url: string; secret: string; type: string; payload: string; event_at: string;
};

/** POSTs the body; the error is null on a 2xx. Never carries the secret or the receiver's body. */
async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number) {
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { status: res.status, error: res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error;
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
    return { status: null, error: timedOut ? `no answer within ${timeoutMs} ms` : `${err.name}: ${err.message}`.slice(0, 500) };
  }
}

/** 'delivered' | 'dead' | seconds until the next attempt; 'skipped' when nothing is pending. */
export async function attemptDelivery(env: Bindings, msg: DeliverMessage, random: () => number = Math.random): Promise<'skipped' | 'delivered' | 'dead' | number> {
  const d1 = env.DB;
  const d = await d1.prepare(
    `SELECT d.*, s.url, s.secret, e.type, e.payload, e.created_at AS event_at FROM notify_deliveries d
     JOIN subscriptions s ON s.id = d.subscription_id JOIN notify_events e ON e.id = d.event_id
     WHERE d.subscription_id = ? AND d.event_id = ?`,
  ).bind(msg.subscriptionId, msg.eventId).first<Pending>();
  if (!d || d.status !== 'pending') return 'skipped'; // delivered, dead, or its subscription deleted
  const body = `{"type":${JSON.stringify(d.type)},"timestamp":${JSON.stringify(d.event_at)},"event_id":${JSON.stringify(d.event_id)},"data":${d.payload}}`;
  const secret = await openSecret(env, secretContext(d.subscription_id), d.secret);
  const timestamp = Math.floor(Date.now() / 1000);
  const started = Date.now();
  const at = nowIso();
  const timeoutMs = Number(env.NOTIFY_TIMEOUT_MS || 10_000);
  const r = await post(d.url, {
    'content-type': 'application/json',
    'user-agent': 'avlm-diag-webhooks',
    'webhook-id': d.webhook_id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook(secret, d.webhook_id, timestamp, body),
  }, body, timeoutMs);
  const attempts = d.attempts + 1;
  const firstAt = d.first_attempt_at ?? at;
  const delay = r.error === null ? null : nextRetryDelay(retryPolicy(env), attempts, (Date.now() - Date.parse(firstAt)) / 1000, random);
  const outcome = r.error === null ? 'delivered' : delay === null ? 'dead' : 'pending';
  const stmts = [
    d1.prepare('INSERT INTO notify_attempts (subscription_id, event_id, webhook_id, at, http_status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(d.subscription_id, d.event_id, d.webhook_id, at, r.status, r.error, Date.now() - started),
    d1.prepare(`UPDATE notify_deliveries SET attempts = ?, first_attempt_at = ?, status = ?, delivered_at = ?
      WHERE subscription_id = ? AND event_id = ? AND status = 'pending'`)
      .bind(attempts, firstAt, outcome, outcome === 'delivered' ? at : null, d.subscription_id, d.event_id),
  ];
  if (outcome === 'dead') {
    stmts.push(d1.prepare(`INSERT INTO dead_letters (queue, body, error, attempts, created_at) SELECT 'notify', ?, ?, ?, ? WHERE changes() = 1`)
      .bind(JSON.stringify(msg), `${r.error} (${d.url})`.slice(0, 1000), attempts, at));
  }
  await d1.batch(stmts);
  return outcome === 'pending' ? delay! : outcome;
}
