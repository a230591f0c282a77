// The events (SPEC §13), each checked against the data that caused it: slice.completed (at the
// commit, or when the last GPU backend job is done — once), version.regression and
// region.disparity (a slice-level cell the region × version did not have — once),
// attribution.ready; a subscription sees only its regions; a burst of commits loses nothing.
import { env } from 'cloudflare:workers';
import { describe, it, expect } from 'vitest';
import { computeEvents } from '../../../functions/notify/events.ts';
import { featuresFor } from '../../../gpu-backend/model/spec.ts';
import { policyIndex } from '../../../taxonomy/policies.ts';
import { api, item, submit } from '../helpers.ts';
import { rows, sleep, uid } from '../reference.ts';
import { received, subscribe, waitFor, type Received } from './receiver.ts';

const BASE = 'https://avlm.example'; // PUBLIC_URL of the test config
const tn = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.1 }, probes: {} });
const marginFp = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.55 } });
const suppressed = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const many = (n: number, f: (id: string) => unknown, p: string) => Array.from({ length: n }, (_, i) => f(`${p}${i}`));

async function put(region: string, model: { id: string; version: string; stage?: string }, items: unknown[], sliceId = uid('s')) {
  const r = await submit(region, { slice_id: sliceId, model: { stage: 'sft', ...model }, items });
  expect(r.status, JSON.stringify(r.data)).toBe(201);
  return { sliceId, summary: r.data };
}
const ofType = (got: Received[], type: string) => got.filter((g) => g.body.type === type);
/** Waits until the hook has n deliveries that were answered 200, then a little more (nothing else may come). */
async function settle(hook: string, n: number) {
  await waitFor(() => received(hook), (x) => x.filter((g) => g.answered === 200).length >= n);
  await sleep(500);
  const got = await received(hook);
  expect(got.every((g) => g.verified)).toBe(true);
  return got;
}

describe('notification events', () => {
  it('keeps regions apart: a BR subscription never gets a DE event, * gets both; slice.completed carries the slice', async () => {
    const br = await subscribe(['BR'], ['slice.completed']);
    const de = await subscribe(['DE'], ['slice.completed']);
    const star = await subscribe(['*'], ['slice.completed']);
    const model = { id: uid('apart'), version: '1' };
    const a = await put('BR', model, [...many(3, suppressed, 'f'), ...many(7, tn, 't')]);
    const b = await put('DE', model, many(4, tn, 't'));
    const gotStar = await settle(star.hook, 2);
    const gotBr = await received(br.hook);
    const gotDe = await received(de.hook);
    expect(gotBr.map((g) => g.body.data.region)).toEqual(['BR']);
    expect(gotDe.map((g) => g.body.data.region)).toEqual(['DE']);
    expect(gotStar.map((g) => g.body.data.region).sort()).toEqual(['BR', 'DE']);
    const ev = gotBr[0].body;
    expect(ev.type).toBe('slice.completed');
    expect(ev.data).toEqual({
      region: 'BR', slice_id: a.sliceId, model: { id: model.id, version: '1', stage: 'sft' }, status: 'complete',
      items: 10, failures: 3, excluded: 0,
      links: { slice: `${BASE}/v1/regions/BR/slices/${a.sliceId}`, scorecard: `${BASE}/scorecards/BR?model=${model.id}&version=1` },
    });
    expect(a.summary).toMatchObject({ items: 10, failures: 3 });
    expect(gotDe[0].body.data).toMatchObject({ slice_id: b.sliceId, items: 4, failures: 0 });
    // The same event to two subscriptions: one event id, two webhook ids.
    const brInStar = gotStar.find((g) => g.body.data.region === 'BR')!;
    expect(brInStar.body.event_id).toBe(ev.event_id);
    expect(brInStar.id).not.toBe(gotBr[0].id);
  });

  it('slice.completed once, when the last GPU backend job is done (not at the commit of a probing slice)', async () => {
    const sub = await subscribe(['KE'], ['slice.completed']);
    const drowned = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.05, text: 0.05 });
    const items = Array.from({ length: 40 }, (_, i) => item(`g${i}`, { label: { violating: true, evidence: ['audio'] }, prediction: undefined, features: drowned() }));
    const { sliceId, summary } = await put('KE', { id: uid('gpu'), version: '1' }, items);
    expect(summary.status).toBe('probing'); // two jobs of 32 and 8 items
    const got = await settle(sub.hook, 1);
    expect(got.length).toBe(1);
    const done = await api(`/v1/regions/KE/slices/${sliceId}`);
    expect(done.data.status).toBe('complete');
    expect(got[0].body.data).toMatchObject({ slice_id: sliceId, status: 'complete', items: 40, failures: done.data.failures });
  });

  it('version.regression: once, when a commit gives the region a VER.REGRESSION cell it did not have', async () => {
    const sub = await subscribe(['IN'], ['version.regression']);
    const model = uid('reg');
    await put('IN', { id: model, version: '1' }, many(100, tn, 't'));
    const v2 = await put('IN', { id: model, version: '2', stage: 'alignment' }, [...many(30, marginFp, 'm'), ...many(70, tn, 't')]);
    const got = await settle(sub.hook, 1);
    expect(got.length).toBe(1);
    const card = (await api(`/v1/regions/IN/scorecard?model=${model}&version=2`)).data;
    const cell = card.slice_signatures.find((s: any) => s.code === 'VER.REGRESSION');
    expect(cell).toMatchObject({ policy: 'hate.slur', signature: 'THR.MARGIN' });
    expect(got[0].body.data).toEqual({
      region: 'IN', model: { id: model, version: '2', stage: 'alignment' }, previous_version: '1', policy: 'hate.slur', signature: 'THR.MARGIN',
      from: cell.statistics.from, to: cell.statistics.to, diff: cell.statistics.diff, q: cell.statistics.q, slice_id: v2.sliceId,
      links: { scorecard: `${BASE}/scorecards/IN?model=${model}&version=2`, compare: `${BASE}/v1/regions/IN/compare?model=${model}&from=1&to=2` },
    });
    // Independently: 0/100 → 30/100 THR.MARGIN.
    expect(got[0].body.data.from).toMatchObject({ count: 0, n: 100 });
    expect(got[0].body.data.to).toMatchObject({ count: 30, n: 100 });
    // Another commit that keeps the cell: no second announcement.
    await put('IN', { id: model, version: '2', stage: 'alignment' }, [...many(30, marginFp, 'm'), ...many(70, tn, 't')]);
    await sleep(1_000);
    expect(ofType(await received(sub.hook), 'version.regression').length).toBe(1);
  });

  it('region.disparity: the region whose rate stands out, not the others', async () => {
    const sub = await subscribe(['*'], ['region.disparity']);
    const model = { id: uid('disp'), version: '1' };
    await put('DE', model, [...many(2, marginFp, 'm'), ...many(98, tn, 't')]);
    const br = await put('BR', model, [...many(30, marginFp, 'm'), ...many(70, tn, 't')]);
    const got = await settle(sub.hook, 1);
    expect(got.map((g) => [g.body.type, g.body.data.region])).toEqual([['region.disparity', 'BR']]);
    const d = got[0].body.data;
    expect(d).toMatchObject({ region: 'BR', policy: 'hate.slur', rate: 0.3, n: 100, rest_of_world_rate: 0.02, slice_id: br.sliceId });
    // Pooled two-proportion z, 30/100 against 2/100, computed here.
    const p = 32 / 200;
    expect(d.z).toBeCloseTo((0.3 - 0.02) / Math.sqrt(p * (1 - p) * (2 / 100)), 6);
    expect(d.links.scorecard).toBe(`${BASE}/scorecards/BR?model=${model.id}&version=1`);
  });

  it('attribution.ready: at the first commit in a targeted region of a version with intervention records, once', async () => {
    const sub = await subscribe(['*'], ['attribution.ready']);
    const model = uid('attr');
    // A record needs its version to have slices somewhere: DE first (not targeted).
    await put('DE', { id: model, version: '2' }, many(5, tn, 't'));
    const rec = await api('/v1/interventions', { method: 'POST', json: { intervention: 'INF.THRESHOLD', model: { id: model, version: '2' }, targets: { signatures: ['THR.MARGIN'], regions: ['BR'] }, applied_at: '2026-11-01T00:00:00Z' } });
    expect(rec.status, JSON.stringify(rec.data)).toBe(201);
    await put('BR', { id: model, version: '1' }, many(5, tn, 't')); // no records for version 1
    const first = await put('BR', { id: model, version: '2' }, many(5, tn, 't'));
    await put('BR', { id: model, version: '2' }, many(5, tn, 't'));
    await put('DE', { id: model, version: '2' }, many(5, tn, 't')); // not targeted
    const got = await settle(sub.hook, 1);
    expect(got.length).toBe(1);
    expect(got[0].body.data).toEqual({
      region: 'BR', model: { id: model, version: '2', stage: 'sft' }, slice_id: first.sliceId,
      interventions: [{ id: rec.data.id, intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['BR'] }, link: `${BASE}/scorecards/interventions/${rec.data.id}` }],
      links: { scorecard: `${BASE}/scorecards/BR?model=${model}&version=2` },
    });
  });

  it('a subscription made after a commit does not get its event, even when the queue message comes late', async () => {
    const model = { id: uid('late'), version: '1' };
    const { sliceId } = await put('CO', model, many(3, tn, 't')); // nobody listens to CO yet
    const committedAt = new Date().toISOString();
    await sleep(5);
    const sub = await subscribe(['CO'], ['slice.completed']);
    // The slice's message handled only now (as after a queue backlog): the event, but no delivery.
    await computeEvents(env, { kind: 'notify', region: 'CO', sliceId, trigger: 'commit', at: committedAt });
    const [ev] = await rows<any>('SELECT * FROM notify_events WHERE region = ? AND payload LIKE ?', 'CO', `%${sliceId}%`);
    expect(ev).toMatchObject({ type: 'slice.completed', created_at: committedAt });
    expect(await rows('SELECT * FROM notify_deliveries WHERE subscription_id = ?', sub.id)).toEqual([]);
    // The next commit is after the subscription: delivered.
    const next = await put('CO', model, many(3, tn, 't'));
    const got = await settle(sub.hook, 1);
    expect(got.map((g) => g.body.data.slice_id)).toEqual([next.sliceId]);
  });

  it('a burst of commits: every slice delivered, once each, none lost', async () => {
    const sub = await subscribe(['KE'], ['slice.completed']);
    const model = { id: uid('burst'), version: '1' };
    const ids: string[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => put('KE', model, many(5, tn, 't'))));
      ids.push(...batch.map((b) => b.sliceId));
    }
    const got = await settle(sub.hook, ids.length);
    expect(got.map((g) => g.body.data.slice_id).sort()).toEqual([...ids].sort());
    expect(new Set(got.map((g) => g.id)).size).toBe(ids.length);
  });
});
