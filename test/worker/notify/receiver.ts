// The webhook receiver of global-setup.ts, seen from the Worker tests: subscribe a named hook,
// read what it received (each request's signature verified there with `standardwebhooks`).
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from '../helpers.ts';
import { sleep, uid } from '../reference.ts';

export type Answer = number | 'hang' | 'drop';
export interface Received { id: string; timestamp: string; verified: boolean; error?: string; body: any; answered: Answer; at: number }

/** Points a hook at `script` (statuses answered in turn, then 200) and the secret it verifies with. */
export async function configure(name: string, secret: string, script: Answer[] = []): Promise<void> {
  const r = await fetch(`${env.TEST_RECEIVER_URL}/__hooks/${name}`, { method: 'POST', body: JSON.stringify({ secret, script }) });
  expect(r.status).toBe(200);
}

export async function received(name: string): Promise<Received[]> {
  return ((await (await fetch(`${env.TEST_RECEIVER_URL}/__hooks/${name}`)).json()) as { received: Received[] }).received;
}

/** A subscription whose receiver is a fresh hook; returns its id, secret and hook name. */
export async function subscribe(regions: string[], events: string[], script: Answer[] = [], url?: string) {
  const hook = uid('hook');
  const r = await api('/v1/admin/subscriptions', { method: 'POST', json: { url: url ?? `${env.TEST_RECEIVER_URL}/hook/${hook}`, regions, events } });
  expect(r.status, JSON.stringify(r.data)).toBe(201);
  await configure(hook, r.data.secret, script);
  return { id: r.data.id as string, secret: r.data.secret as string, hook };
}

export async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting; last value ${JSON.stringify(v).slice(0, 2000)}`);
    await sleep(50);
  }
}

/** Every attempt of a subscription, oldest first. */
export async function attempts(id: string) {
  const r = await api(`/v1/admin/subscriptions/${id}/deliveries?limit=1000`);
  expect(r.status).toBe(200);
  return (r.data.deliveries as any[]).reverse();
}
