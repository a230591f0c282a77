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

export type AttemptResult = 'skipped' | 'delivered' | 'dead' | number;

const PENDING_SQL = `SELECT d.*, s.url, s.secret, e.type, e.payload, e.created_at AS event_at FROM json_each(?) j
  JOIN notify_deliveries d ON d.subscription_id = j.value ->> 0 AND d.event_id = j.value ->> 1
  JOIN subscriptions s ON s.id = d.subscription_id JOIN notify_events e ON e.id = d.event_id`;

/** One attempt: the POST, and the statements that record it and the delivery's new state. */
async function attempt(env: Bindings, d: Pending, random: () => number): Promise<{ result: AttemptResult; stmts: D1PreparedStatement[] }> {
  const d1 = env.DB;
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
    const letter: DeliverMessage = { kind: 'deliver', subscriptionId: d.subscription_id, eventId: d.event_id };
    stmts.push(d1.prepare(`INSERT INTO dead_letters (queue, body, error, attempts, created_at) SELECT 'notify', ?, ?, ?, ? WHERE changes() = 1`)
      .bind(JSON.stringify(letter), `${r.error} (${d.url})`.slice(0, 1000), attempts, at));
  }
  return { result: outcome === 'pending' ? delay! : outcome, stmts };
}

/**
 * One attempt per message, concurrently; the deliveries read in one query and every attempt
 * recorded in one batch (D1 is shared with the ingest: round trips are what a burst costs).
 * Per message: 'delivered' | 'dead' | seconds until the next attempt; 'skipped' when nothing is
 * pending (delivered, dead, its subscription deleted, or a second message for it in the batch).
 */
export async function attemptDeliveries(env: Bindings, msgs: readonly DeliverMessage[], random: () => number = Math.random): Promise<AttemptResult[]> {
  const key = (sub: string, ev: string) => `${sub}\u0000${ev}`;
  const { results } = await env.DB.prepare(PENDING_SQL).bind(JSON.stringify(msgs.map((m) => [m.subscriptionId, m.eventId]))).all<Pending>();
  const byKey = new Map(results.map((d) => [key(d.subscription_id, d.event_id), d]));
  const seen = new Set<string>();
  const done = await Promise.all(msgs.map((m) => {
    const k = key(m.subscriptionId, m.eventId);
    const d = byKey.get(k);
    if (!d || d.status !== 'pending' || seen.has(k)) return { result: 'skipped' as const, stmts: [] };
    seen.add(k);
    // Not one of the receiver's answers (e.g. a secret that no longer opens): try again later,
    // without failing the batch's other deliveries (already POSTed).
    return attempt(env, d, random).catch((e) => {
      console.error(`notify: delivery ${d.webhook_id} not attempted: ${(e as Error).message}`);
      return { result: 60, stmts: [] };
    });
  }));
  const stmts = done.flatMap((x) => x.stmts);
  if (stmts.length) await env.DB.batch(stmts);
  return done.map((x) => x.result);
}
