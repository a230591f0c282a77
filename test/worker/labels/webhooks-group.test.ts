// Group commit of concurrent webhook deliveries (functions/labels/group-commit.ts) and the item
// overlays they write: deliveries that arrive together are written in one D1 batch, each applied
// exactly once — a replay in the same group, two deliveries on one item, an id another writer
// applied first, an overlay rewritten by another writer — and every counter follows.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, item, submit } from '../helpers.ts';
import { createVendor, deliver, deliverStandard, ev, expectCountersMatchStore, nowS, signStandard, slicePk, storedRecords } from './webhooks-helpers.ts';
import { GROUP_LIMITS, groupCommitStats, takeGroup } from '../../../functions/labels/group-commit.ts';
import { fastEvents } from '../../../functions/routes/webhooks/handlers.ts';
import { LabelDeliverySchema } from '../../../functions/routes/webhooks/routes.ts';

const R = 'FR';
const S = 'g-main';
const MODEL = { id: 'avlm-group', version: '1', stage: 'sft' };
const getItem = (id: string) => api(`/v1/regions/${R}/slices/${S}/items/${id}`).then((r) => r.data);
const scorecard = () => api(`/v1/regions/${R}/scorecard?model=${MODEL.id}&version=1`).then((r) => r.data);
const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

let secret = '';

/** A signed delivery, ready to send (several can be sent at once, the same one twice). */
async function signed(id: string, events: unknown[]) {
  const body = JSON.stringify({ events });
  const ts = nowS();
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signStandard(secret, id, ts, body) };
  return () => deliver('gv', body, headers);
}

describe('webhook group commit', () => {
  beforeAll(async () => {
    const items = [
      ...Array.from({ length: 40 }, (_, i) => item(`g${i}`, { prediction: { score: 0.1 } })), // TN
      item('hot', { prediction: { score: 0.9 } }), // FP
    ];
    expect((await submit(R, { slice_id: S, model: MODEL, items })).status).toBe(201);
    secret = await createVendor('gv');
  });

  it('concurrent deliveries (a replay among them, two on one item) are written together, each exactly once', async () => {
    const pk = await slicePk(R, S);
    const sc0 = await scorecard();
    const stats0 = groupCommitStats();
    const sends = [
      // Six deliveries, each flipping one item TN → FN with two votes.
      ...await Promise.all(Array.from({ length: 6 }, (_, i) => signed(`grp-${i}`, [
        ev(R, S, `g${i}`, true, { annotator: 'a1' }), ev(R, S, `g${i}`, true, { annotator: 'a2' })]))),
      // Two deliveries on the same item: whichever comes first flips it FP → TP, the other adds a vote.
      await signed('grp-hot-1', [ev(R, S, 'hot', true, { annotator: 'h1' })]),
      await signed('grp-hot-2', [ev(R, S, 'hot', true, { annotator: 'h2' })]),
    ];
    const replay = sends[0]; // grp-0 again, byte for byte, in the same burst
    const rs = await Promise.all([...sends, replay].map((send) => send()));
    for (const r of rs) expect(r.status).toBe(200);
    const grp0 = rs.filter((r) => r.data.delivery_id === 'grp-0');
    expect(grp0.map((r) => r.data.duplicate).sort()).toEqual([false, true]);
    expect(grp0.find((r) => r.data.duplicate)!.data).toMatchObject({ applied: 0, items_changed: 0, relabelled: 0 });
    for (const r of rs.filter((x) => /^grp-\d$/.test(x.data.delivery_id) && !x.data.duplicate)) {
      expect(r.data).toMatchObject({ events: 2, applied: 2, parked: 0, items_changed: 1, relabelled: 1 });
    }
    const hot = rs.filter((r) => r.data.delivery_id.startsWith('grp-hot'));
    for (const r of hot) expect(r.data).toMatchObject({ duplicate: false, applied: 1, items_changed: 1 });
    expect(hot.reduce((s, r) => s + r.data.relabelled, 0)).toBe(1);

    // Written in fewer batches than deliveries (the test calls overlap in one isolate).
    const stats = groupCommitStats();
    expect(stats.deliveries - stats0.deliveries).toBe(8);
    expect(stats.groups - stats0.groups).toBeLessThan(8);
    expect(stats.fallbacks).toBe(stats0.fallbacks);

    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivery_id LIKE 'grp-%'`)).toBe(8);
    expect(await count(`SELECT COUNT(*) AS n FROM votes WHERE slice_id = '${S}'`)).toBe(14);
    for (let i = 0; i < 6; i++) {
      const it = await getItem(`g${i}`);
      expect(it).toMatchObject({ outcome: 'FN', item: { label: { violating: true } } });
      expect(it.item.label.votes.map((v: any) => v.annotator).sort()).toEqual(['a1', 'a2']);
    }
    const h = await getItem('hot');
    expect(h).toMatchObject({ outcome: 'TP', item: { label: { violating: true } } });
    expect(h.item.label.votes.map((v: any) => v.annotator).sort()).toEqual(['h1', 'h2']);
    // The parts are untouched: the new records are overlay rows.
    expect(await count(`SELECT COUNT(*) AS n FROM item_overlays WHERE slice_pk = ${pk}`)).toBe(7);
    expect(await count(`SELECT MAX(rev) AS n FROM item_chunks WHERE slice_pk = ${pk}`)).toBe(0);
    const sc = await scorecard();
    expect(sc.outcomes).toMatchObject({ fn: sc0.outcomes.fn + 6, tn: sc0.outcomes.tn - 6, tp: sc0.outcomes.tp + 1, fp: sc0.outcomes.fp - 1 });
    await expectCountersMatchStore(pk);
  });

  it('an id another writer applied first answers duplicate and applies nothing; the rest of its group is applied', async () => {
    const pk = await slicePk(R, S);
    // As if another isolate had applied 'grp-elsewhere' (its ledger row is there, this isolate never saw it).
    await env.DB.prepare(`INSERT INTO webhook_deliveries (vendor, delivery_id, received_at, events, applied, parked) VALUES ('gv', 'grp-elsewhere', ?, 1, 1, 0)`)
      .bind(new Date().toISOString()).run();
    const before = await storedRecords(pk);
    const sends = [
      await signed('grp-elsewhere', [ev(R, S, 'g10', true)]),
      await signed('grp-next-1', [ev(R, S, 'g11', true)]),
      await signed('grp-next-2', [ev(R, S, 'g12', true)]),
    ];
    const rs = await Promise.all(sends.map((send) => send()));
    expect(rs.map((r) => [r.status, r.data.delivery_id, r.data.duplicate, r.data.applied])).toEqual([
      [200, 'grp-elsewhere', true, 0], [200, 'grp-next-1', false, 1], [200, 'grp-next-2', false, 1],
    ]);
    const after = await storedRecords(pk);
    expect(after.get('g10')).toEqual(before.get('g10'));
    expect(after.get('g11')!.i.label).toMatchObject({ violating: true, adjudicated: true });
    expect(after.get('g12')!.d.outcome).toBe('FN');
    await expectCountersMatchStore(pk);
  });

  it('an overlay rewritten by another writer since it was cached: the guard aborts, the delivery is re-read and applied once', async () => {
    const pk = await slicePk(R, S);
    const first = await deliverStandard('gv', secret, [ev(R, S, 'g20', true, { annotator: 'o1' })]);
    expect(first.data).toMatchObject({ applied: 1, relabelled: 1 });
    // Another writer (another isolate) adds a vote to g20's overlay: the copy this isolate holds is stale.
    const row = (await env.DB.prepare(`SELECT bucket, rev, data FROM item_overlays WHERE slice_pk = ? AND item_id = 'g20'`).bind(pk).first<{ bucket: number; rev: number; data: string }>())!;
    const rec = JSON.parse(row.data);
    rec.i.label.votes.push({ annotator: 'o2', violating: false, vendor: 'gv', labelled_at: new Date(0).toISOString() });
    await env.DB.prepare(`UPDATE item_overlays SET rev = rev + 1, data = ? WHERE slice_pk = ? AND item_id = 'g20'`).bind(JSON.stringify(rec), pk).run();
    const fallbacks0 = groupCommitStats().fallbacks;
    const r = await deliverStandard('gv', secret, [ev(R, S, 'g20', true, { annotator: 'o3' })]);
    expect(r.data).toMatchObject({ duplicate: false, applied: 1, items_changed: 1 });
    expect(groupCommitStats().fallbacks).toBe(fallbacks0 + 1);
    const it = await getItem('g20');
    expect(it.item.label.votes.map((v: any) => v.annotator).sort()).toEqual(['o1', 'o2', 'o3']);
    expect((await env.DB.prepare(`SELECT rev FROM item_overlays WHERE slice_pk = ? AND item_id = 'g20'`).bind(pk).first<{ rev: number }>())!.rev).toBe(row.rev + 2);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivery_id = '${r.id}'`)).toBe(1);
  });

  it('a group takes the queue in order up to 32 deliveries and 2,000 events; its leader always', () => {
    expect(GROUP_LIMITS).toEqual({ deliveries: 32, events: 2_000 });
    const entry = (id: number, events: number) => ({ id, delivery: { events: new Array(events).fill(null) } });
    // 1 leader + 69 waiting, one event each: the leader and the next 31, in order; 38 stay.
    const waiting = Array.from({ length: 69 }, (_, k) => entry(k + 1, 1));
    const g = takeGroup(entry(0, 1), waiting);
    expect(g.map((e) => e.id)).toEqual(Array.from({ length: 32 }, (_, k) => k));
    expect(waiting.map((e) => e.id)).toEqual(Array.from({ length: 38 }, (_, k) => k + 32));
    // 150 events each: 13 × 150 = 1,950 fit, a 14th would make 2,100.
    const heavy = Array.from({ length: 20 }, (_, k) => entry(k + 1, 150));
    expect(takeGroup(entry(0, 150), heavy).length).toBe(13);
    expect(heavy[0].id).toBe(13);
    // A leader over the event limit on its own is still written, alone.
    const after = [entry(1, 1)];
    expect(takeGroup(entry(0, 2_500), after).map((e) => e.id)).toEqual([0]);
    expect(after.length).toBe(1);
  });

  it('a burst larger than a group is written in several groups of at most GROUP_LIMITS.deliveries, each delivery once', async () => {
    const pk = await slicePk(R, S);
    const stats0 = groupCommitStats();
    const n = GROUP_LIMITS.deliveries * 2 + 6;
    // One vote each on g30…g39 by its own annotator: the labels stay (TN), every item's votes grow.
    const sends = await Promise.all(Array.from({ length: n }, (_, k) => signed(`burst-${k}`, [ev(R, S, `g${30 + (k % 10)}`, false, { annotator: `b${k}` })])));
    const rs = await Promise.all(sends.map((send) => send()));
    for (const r of rs) expect(r.data).toMatchObject({ duplicate: false, applied: 1, items_changed: 1, relabelled: 0 });
    const stats = groupCommitStats();
    expect(stats.deliveries - stats0.deliveries).toBe(n);
    expect(stats.groups - stats0.groups).toBeGreaterThanOrEqual(Math.ceil(n / GROUP_LIMITS.deliveries));
    expect(stats.largest).toBeLessThanOrEqual(GROUP_LIMITS.deliveries);
    expect(stats.fallbacks).toBe(stats0.fallbacks);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivery_id LIKE 'burst-%'`)).toBe(n);
    for (let i = 30; i < 40; i++) {
      const votes = (await getItem(`g${i}`)).item.label.votes.map((v: any) => v.annotator).sort();
      expect(votes).toEqual(Array.from({ length: n }, (_, k) => k).filter((k) => k % 10 === i - 30).map((k) => `b${k}`).sort());
    }
    await expectCountersMatchStore(pk);
  });

  it('the plain body check accepts exactly what the schema accepts, with the same events', () => {
    const good = { region: 'FR', slice_id: 's', item_id: 'i', violating: true, labelled_at: '2026-11-01T10:00:00+02:00' };
    const docs: unknown[] = [
      { events: [good] },
      { events: [{ ...good, annotator: 'a', evidence: ['audio', 'text'], adversarial: false, extra: 1 }] },
      { events: [{ ...good, labelled_at: '2026-11-01T10:00:00.123Z' }, { ...good, evidence: [] }] },
      { events: [] }, {}, [], null, 'x', { events: {} },
      { events: [{ ...good, region: 'fr' }] }, { events: [{ ...good, region: 'FRA' }] },
      { events: [{ ...good, slice_id: '' }] }, { events: [{ ...good, item_id: 'x'.repeat(129) }] }, { events: [{ ...good, item_id: 'x'.repeat(128) }] },
      { events: [{ ...good, violating: 'true' }] }, { events: [{ ...good, annotator: null }] }, { events: [{ ...good, annotator: '' }] },
      { events: [{ ...good, evidence: ['smell'] }] }, { events: [{ ...good, evidence: ['audio', 'audio', 'audio', 'audio'] }] },
      { events: [{ ...good, adversarial: 1 }] }, { events: [{ ...good, labelled_at: '2026-02-30T10:00:00Z' }] },
      { events: [{ ...good, labelled_at: '2026-11-01 10:00:00Z' }] }, { events: [{ ...good, labelled_at: '2026-11-01T10:00:00' }] },
      { events: [{ ...good, labelled_at: 1790000000 }] }, { events: [good, 3] },
      { events: Array.from({ length: 1000 }, () => good) }, { events: Array.from({ length: 1001 }, () => good) },
    ];
    let accepted = 0;
    for (const doc of docs) {
      const fast = fastEvents(doc);
      const schema = LabelDeliverySchema.safeParse(doc);
      if (fast === null) continue; // the schema decides (and names the field)
      accepted++;
      expect(schema.success, JSON.stringify(doc).slice(0, 200)).toBe(true);
      expect(fast).toEqual(schema.data!.events.map((e) => ({ ...e, labelled_at: new Date(e.labelled_at).toISOString() })));
    }
    expect(accepted).toBe(5);
  });
});
