// The sender (SPEC §13): Standard Webhooks signed by this service, verified by the receiver with
// the `standardwebhooks` library; a non-2xx or no answer within the timeout is retried with the
// same webhook-id; a receiver that stays down ends as a dead letter an admin lists and replays.
// Test config: NOTIFY_RETRY_BASE_SECONDS=0 (retries at once), NOTIFY_MAX_ATTEMPTS=4, NOTIFY_TIMEOUT_MS=1000.
import { env } from 'cloudflare:workers';
import { describe, it, expect } from 'vitest';
import { api, item, MODEL, submit } from '../helpers.ts';
import { rows, sleep, uid } from '../reference.ts';
import { attempts, configure, received, subscribe, waitFor } from './receiver.ts';

const done = (id: string) => item(id, { prediction: { score: 0.1 }, probes: {} });
/** A slice that completes at its commit (every item has its prediction): one slice.completed. */
async function commit(region: string, n = 3) {
  const sliceId = uid('s');
  const r = await submit(region, { slice_id: sliceId, model: { ...MODEL, id: 'notify-d' }, items: Array.from({ length: n }, (_, i) => done(`i${i}`)) });
  expect(r.status).toBe(201);
  return sliceId;
}

describe('webhook delivery', () => {
  it('answers 500 twice then 200: delivered once, the same webhook-id on all 3 signed attempts', async () => {
    const sub = await subscribe(['KE'], ['slice.completed'], [500, 500, 200]);
    const sliceId = await commit('KE');
    const got = await waitFor(() => received(sub.hook), (x) => x.length >= 3);
    await sleep(300); // nothing more may come
    const all = await received(sub.hook);
    expect(all.map((g) => g.answered)).toEqual([500, 500, 200]);
    expect(all.every((g) => g.verified)).toBe(true);
    expect(new Set(all.map((g) => g.id)).size).toBe(1);
    expect(got[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(all[0].body).toMatchObject({ type: 'slice.completed', data: { region: 'KE', slice_id: sliceId } });
    // Every attempt listed under the subscription, the delivery now delivered.
    const list = await attempts(sub.id);
    expect(list.map((a) => [a.status, a.error, a.webhook_id, a.event_type])).toEqual([
      [500, 'HTTP 500', got[0].id, 'slice.completed'], [500, 'HTTP 500', got[0].id, 'slice.completed'], [200, null, got[0].id, 'slice.completed'],
    ]);
    expect(list.every((a) => a.delivery === 'delivered')).toBe(true);
    const [d] = await rows<any>('SELECT * FROM notify_deliveries WHERE subscription_id = ?', sub.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('a signature made with another secret does not verify (the receiver check is real)', async () => {
    const sub = await subscribe(['KE'], ['slice.completed']);
    await configure(sub.hook, `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))}`, []);
    await commit('KE');
    const got = await waitFor(() => received(sub.hook), (x) => x.length >= 1);
    expect(got[0].verified).toBe(false);
    expect(got[0].answered).toBe(401);
  });

  it('retries a receiver that does not answer within the timeout', async () => {
    const sub = await subscribe(['KE'], ['slice.completed'], ['hang']);
    await commit('KE');
    const list = await waitFor(() => attempts(sub.id), (x) => x.some((a) => a.status === 200));
    expect(list.map((a) => [a.status, a.error])).toEqual([[null, 'no answer within 1000 ms'], [200, null]]);
    expect(list[0].duration_ms).toBeGreaterThanOrEqual(900);
    const got = await received(sub.hook);
    expect(got.length).toBe(2);
    expect(got[0].id).toBe(got[1].id);
  });

  it('a receiver that stays down: retried, dead-lettered, listed and replayable', async () => {
    const sub = await subscribe(['KE'], ['slice.completed'], ['drop', 'drop', 'drop', 'drop']);
    await commit('KE');
    const list = await waitFor(() => attempts(sub.id), (x) => x.length >= 4 && x[3].delivery === 'dead');
    expect(list.length).toBe(4);
    expect(list.every((a) => a.status === null && a.error)).toBe(true);
    const dead = await waitFor(() => api('/v1/admin/dead-letters'), (x) => x.data.dead_letters.some((d: any) => d.queue === 'notify' && d.body.subscriptionId === sub.id));
    const letter = dead.data.dead_letters.find((d: any) => d.body.subscriptionId === sub.id);
    expect(letter).toMatchObject({ queue: 'notify', attempts: 4, body: { kind: 'deliver', subscriptionId: sub.id } });
    // No fifth attempt on its own.
    await sleep(300);
    expect((await attempts(sub.id)).length).toBe(4);
    // The receiver is back: a replay delivers it, with the same webhook-id.
    const replay = await api(`/v1/admin/dead-letters/${letter.id}/replay`, { method: 'POST' });
    expect(replay).toMatchObject({ status: 200, data: { id: letter.id, replayed: true } });
    const after = await waitFor(() => attempts(sub.id), (x) => x.some((a) => a.status === 200));
    expect(after.length).toBe(5);
    expect(new Set(after.map((a) => a.webhook_id)).size).toBe(1);
    expect((await api(`/v1/admin/dead-letters/${letter.id}/replay`, { method: 'POST' })).status).toBe(409);
    const got = await received(sub.hook);
    expect(got.filter((g) => g.answered === 200).length).toBe(1);
  });

  it('a URL nothing listens on: each attempt recorded without a status, then a dead letter', async () => {
    const sub = await subscribe(['KE'], ['slice.completed'], [], env.TEST_DOWN_URL);
    await commit('KE');
    const list = await waitFor(() => attempts(sub.id), (x) => x.length >= 4 && x[3].delivery === 'dead');
    expect(list.map((a) => a.status)).toEqual([null, null, null, null]);
    const [d] = await rows<any>('SELECT * FROM dead_letters WHERE queue = ? AND body LIKE ?', 'notify', `%${sub.id}%`);
    expect(d.attempts).toBe(4);
    expect(d.error).toContain(env.TEST_DOWN_URL);
  });

  it('a deleted subscription gets nothing more', async () => {
    const sub = await subscribe(['KE'], ['slice.completed'], [500, 500, 500, 500]);
    await commit('KE');
    await waitFor(() => received(sub.hook), (x) => x.length >= 1);
    expect((await api(`/v1/admin/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(200);
    const n = (await received(sub.hook)).length;
    await sleep(400);
    expect((await received(sub.hook)).length).toBeLessThanOrEqual(n + 1); // at most the attempt in flight
  });
});
