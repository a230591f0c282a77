// Webhook subscriptions of regional teams (SPEC §13): created by the admin with a whsec_ secret
// shown once (kept sealed: the sender needs it to sign), listed without it, deleted with their
// deliveries, and every delivery attempt listed.
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { nowIso, type Row } from '../lib/db.ts';
import { randomToken } from '../lib/crypto.ts';
import { bytesToBase64, sealSecret } from '../lib/secrets.ts';
import { assertRegions } from '../store/regions.ts';
import type { notifyAttempts, subscriptions } from '../../db/schema.ts';

export const EVENT_TYPES = ['slice.completed', 'version.regression', 'region.disparity', 'attribution.ready'] as const;
export type EventType = typeof EVENT_TYPES[number];

export type SubscriptionRow = Row<typeof subscriptions>;
export type AttemptRow = Row<typeof notifyAttempts>;

export const secretContext = (id: string) => `subscription:${id}`;

const bad = (field: string, why: string) => new ApiError(400, 'invalid_request', `${field}: ${why}`, { field });

/** https anywhere; plain http only to this machine (a local receiver beside `npm start`). */
export function checkUrl(raw: string): string {
  let u: URL;
  try { u = new URL(raw); } catch { throw bad('url', 'not an absolute URL'); }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) throw bad('url', 'must be https (http only to localhost or 127.0.0.1)');
  if (u.username || u.password) throw bad('url', 'must not carry credentials');
  return u.toString();
}

export function publicSubscription(r: SubscriptionRow) {
  return { id: r.id, url: r.url, regions: JSON.parse(r.regions) as string[], events: JSON.parse(r.events) as EventType[], created_at: r.created_at };
}

export async function createSubscription(env: Bindings, body: { url: string; regions: string[]; events: EventType[] }) {
  const url = checkUrl(body.url);
  const regions = [...new Set(body.regions)].sort();
  if (regions.includes('*') && regions.length > 1) throw bad('regions', "'*' stands alone");
  if (!regions.includes('*')) await assertRegions(env.DB, regions, 'regions');
  const events = [...new Set(body.events)].sort();
  const id = `sub_${randomToken(12)}`;
  const secret = `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row: SubscriptionRow = {
    id, url, regions: JSON.stringify(regions), events: JSON.stringify(events),
    secret: await sealSecret(env, secretContext(id), secret), created_at: nowIso(),
  };
  await env.DB.prepare('INSERT INTO subscriptions (id, url, regions, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(row.id, row.url, row.regions, row.events, row.secret, row.created_at).run();
  return { subscription: publicSubscription(row), secret };
}

export async function getSubscription(d1: D1Database, id: string): Promise<SubscriptionRow | null> {
  return d1.prepare('SELECT * FROM subscriptions WHERE id = ?').bind(id).first<SubscriptionRow>();
}

export async function listSubscriptions(d1: D1Database): Promise<SubscriptionRow[]> {
  return (await d1.prepare('SELECT * FROM subscriptions ORDER BY created_at, id').all<SubscriptionRow>()).results;
}

/** False when there is no such subscription. Pending deliveries go with it (the sender skips them). */
export async function deleteSubscription(d1: D1Database, id: string): Promise<boolean> {
  const [del] = await d1.batch([
    d1.prepare('DELETE FROM subscriptions WHERE id = ?').bind(id),
    d1.prepare('DELETE FROM notify_deliveries WHERE subscription_id = ?').bind(id),
    d1.prepare('DELETE FROM notify_attempts WHERE subscription_id = ?').bind(id),
  ]);
  return del.meta.changes === 1;
}

/** Attempts, newest first (at most `limit`), each with its event's type. */
export async function listAttempts(d1: D1Database, id: string, limit: number) {
  const { results } = await d1.prepare(
    `SELECT a.*, e.type AS event_type, d.status AS delivery_status FROM notify_attempts a
     LEFT JOIN notify_events e ON e.id = a.event_id
     LEFT JOIN notify_deliveries d ON d.subscription_id = a.subscription_id AND d.event_id = a.event_id
     WHERE a.subscription_id = ? ORDER BY a.id DESC LIMIT ?`,
  ).bind(id, limit).all<AttemptRow & { event_type: string | null; delivery_status: string | null }>();
  return results;
}
