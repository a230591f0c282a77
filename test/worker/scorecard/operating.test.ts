// SPEC §12 through HTTP: operating points, the threshold recommendation and time to detect,
// each checked against values recomputed here from the submitted items (outcomes by hand, the
// argmin over the 0.01 grid by brute force, nearest-rank percentiles by sorting) — at ingest,
// after a relabel through a label webhook and after the GPU backend fills in predictions.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, submit } from '../helpers.ts';
import { expectRate } from '../reference.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk } from '../labels/webhooks-helpers.ts';
import { featuresFor } from '../../../gpu-backend/model/spec.ts';
import { policyIndex } from '../../../taxonomy/policies.ts';
import { bestThreshold, confusion, counted, detectTimes, rng, toItem, world, type W } from '../operating-world.ts';

const R = 'AR';
const MODEL = { id: 'avlm-op', version: '1', stage: 'sft' };
const scorecard = (region = R, token?: string) => api(`/v1/regions/${region}/scorecard?model=avlm-op&version=1`, { token }).then((r) => r.data);

function expectPoints(sc: any, ws: W[]) {
  const policies = [...new Set(counted(ws).map((w) => w.policy))];
  const rows = [...policies.map((p) => [p, ws.filter((w) => w.policy === p)] as const), ['*', ws] as const];
  expect(sc.operating_points.map((o: any) => o.policy).sort()).toEqual(rows.map(([p]) => p).sort());
  for (const [p, sub] of rows) {
    const c = confusion(sub);
    const o = sc.operating_points.find((x: any) => x.policy === p);
    expect({ tp: o.tp, fp: o.fp, tn: o.tn, fn: o.fn }, p).toEqual(c);
    for (const [name, k, n] of [['precision', c.tp, c.tp + c.fp], ['recall', c.tp, c.tp + c.fn], ['fpr', c.fp, c.fp + c.tn], ['fnr', c.fn, c.tp + c.fn]] as const) {
      if (n === 0) { expect(o[name], `${p} ${name}`).toBeNull(); continue; }
      expectRate({ ...o[name], n }, k, n);
    }
  }
}

function expectThresholds(sc: any, ws: W[]) {
  const want = ['hate.slur', 'spam.scam', 'minor.safety'].map((p) => bestThreshold(ws, p))
    .filter((b) => b.n >= 200 && b.best.cost < b.costNow).map((b) => b.expected);
  expect(sc.thresholds).toEqual(want);
  return want;
}

describe('operating points, thresholds and time to detect (SPEC §12)', () => {
  const ws = world();
  let sc: any;
  beforeAll(async () => {
    const r = await submit(R, { slice_id: 'op-1', model: MODEL, items: ws.map(toItem) }, { ndjson: true });
    expect(r.status).toBe(201);
    // Other regions' items of the same version must not move AR's numbers.
    expect((await submit('CL', { slice_id: 'op-cl', model: MODEL, items: ws.slice(0, 50).map((w) => toItem({ ...w, violating: !w.violating })) })).status).toBe(201);
    sc = await scorecard();
  });

  it('operating_points: TP/FP/TN/FN per policy and pooled over the items not excluded, each rate with its Wilson interval', () => {
    expect(sc.excluded).toBe(3); // the split-vote FPs
    expectPoints(sc, ws);
    // minor.safety's 12 items: every rate too_few.
    const minor = sc.operating_points.find((o: any) => o.policy === 'minor.safety');
    expect([minor.precision, minor.recall, minor.fpr, minor.fnr].filter(Boolean).every((x: any) => x.too_few)).toBe(true);
  });

  it('thresholds: the brute-force argmin over the grid, for the policies with n ≥ 200 that can cost less', () => {
    const want = expectThresholds(sc, ws);
    const hate = want.find((t) => t.policy === 'hate.slur')!;
    expect(hate.threshold).toBeLessThan(0.5); // the world is built so that 0.5 misses violations
    expect(hate.fn.then).toBeLessThan(hate.fn.now);
    expect(want.find((t) => t.policy === 'spam.scam')!.threshold_now).toBe(0.7); // every item's own, not the default 0.6
  });

  it('INF.THRESHOLD carries the recommendation: "set hate.slur in AR to 0.xx: −n FN, +m FP" and the numbers', () => {
    const rec = sc.recommendations.find((x: any) => x.intervention === 'INF.THRESHOLD');
    expect(rec).toBeDefined();
    const hate = sc.thresholds.find((t: any) => t.policy === 'hate.slur');
    const sign = (n: number) => (n < 0 ? `−${-n}` : `+${n}`);
    expect(rec.detail.thresholds).toEqual(sc.thresholds);
    expect(rec.detail.text).toContain(`set hate.slur in AR to ${hate.threshold.toFixed(2)}: ${sign(hate.fn.then - hate.fn.now)} FN, ${sign(hate.fp.then - hate.fp.now)} FP`);
    // Other recommendations carry no detail.
    expect(sc.recommendations.filter((x: any) => x.intervention !== 'INF.THRESHOLD').every((x: any) => x.detail === undefined)).toBe(true);
  });

  it('time_to_detect: nearest-rank p50/p90/p99 and the share within 30 s over live TPs, exact (fractional ms too)', () => {
    expect(sc.time_to_detect).toEqual([detectTimes(ws, 'hate.slur')]);
    expect(sc.time_to_detect[0]).toMatchObject({ n: 12, p50: 4000, p90: 30001, p99: 61000, within_30s: 10 / 12 });
  });

  it('a region key sees its own region only: 403 on another region; AR and CL numbers are their own', async () => {
    const key = await createKey(['CL'], ['read']);
    expect((await api(`/v1/regions/${R}/scorecard?model=avlm-op&version=1`, { token: key })).status).toBe(403);
    const cl = await scorecard('CL', key);
    expectPoints(cl, ws.slice(0, 50).map((w) => ({ ...w, violating: !w.violating })));
    expect(cl.thresholds).toEqual([]); // 50 items: below n = 200
  });

  it('after a relabel through a label webhook, every number is the recount of the relabelled items', async () => {
    const secret = await createVendor('op-vendor');
    // Flip 40 hate.slur labels and one live TP (it becomes an FP: its delay leaves the TTD).
    const flip = ws.filter((w) => w.policy === 'hate.slur' && !w.ambiguous).slice(0, 40).concat(ws.filter((w) => w.item_id === 'live3'));
    const r = await deliverStandard('op-vendor', secret, flip.map((w) => ev(R, 'op-1', w.item_id, !w.violating)));
    expect(r.status).toBe(200);
    const after = ws.map((w) => (flip.includes(w) ? { ...w, violating: !w.violating } : w));
    const sc2 = await scorecard();
    expectPoints(sc2, after);
    expectThresholds(sc2, after);
    expect(sc2.time_to_detect).toEqual([detectTimes(after, 'hate.slur')]);
    expect(sc2.time_to_detect[0].n).toBe(11);
    expect(sc2.thresholds).not.toEqual(sc.thresholds); // the relabel did move them
    await expectCountersMatchStore(await slicePk(R, 'op-1'));
  });
});

describe('operating counters after the GPU backend fills in predictions', () => {
  it('an unpredicted item enters the histograms and the confusion at the score the backend gives it', async () => {
    const region = 'UY';
    const model = { id: 'avlm-op-gpu', version: '1', stage: 'sft' };
    const loud = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.95, text: 0.95 });
    const r = rng(7);
    const ws: W[] = Array.from({ length: 200 }, (_, i) => ({ item_id: `u${i}`, policy: 'hate.slur', score: Math.round(r() * 100) / 100, violating: r() < 0.4 }));
    const pending: W[] = Array.from({ length: 4 }, (_, i) => ({ item_id: `q${i}`, policy: 'hate.slur', violating: i !== 3 }));
    const items = [...ws.map(toItem), ...pending.map((w) => ({ ...toItem(w), features: loud() }))];
    const res = await submit(region, { slice_id: 'op-gpu', model, items });
    expect(res.data).toMatchObject({ status: 'probing', pending: 4 });
    const get = () => api(`/v1/regions/${region}/scorecard?model=avlm-op-gpu&version=1`).then((x) => x.data);
    // While probing, the unpredicted items count nowhere: n = 200.
    expectPoints(await get(), ws);
    const until = Date.now() + 20_000;
    while ((await api(`/v1/regions/${region}/slices/op-gpu`)).data.status !== 'complete' && Date.now() < until) await new Promise((s) => setTimeout(s, 100));
    const filled: W[] = [];
    for (const w of pending) {
      const got = (await api(`/v1/regions/${region}/slices/op-gpu/items/${w.item_id}`)).data;
      expect(got.item.prediction.source).toBe('gpu-backend');
      filled.push({ ...w, score: got.item.prediction.score });
    }
    const all = [...ws, ...filled];
    const sc = await get();
    expectPoints(sc, all);
    expectThresholds(sc, all);
    expect(sc.operating_points.find((o: any) => o.policy === 'hate.slur').tp + sc.operating_points.find((o: any) => o.policy === 'hate.slur').fn)
      .toBe(all.filter((w) => w.violating).length);
    await expectCountersMatchStore(await slicePk(region, 'op-gpu'));
  });
});

describe('lifecycle: time to detect pooled per stage', () => {
  it('pools the live TP delays of every version and policy of a stage; a region= view pools that region only', async () => {
    const live = (id: string, policy: string, d: number, violating = true, score = 0.97): W => ({ item_id: id, policy, score, violating, onset: 5_000, flag: 5_000 + d });
    const v1 = [live('a', 'hate.slur', 700), live('b', 'spam.scam', 42_000), live('c', 'hate.slur', 3_000), live('n', 'hate.slur', 10, false)]; // 'n' is an FP
    const v2 = [live('d', 'minor.safety', 100), live('e', 'hate.slur', 31_000), live('f', 'hate.slur', 12_500.5)];
    const v3 = [live('g', 'hate.slur', 2_000), live('h', 'hate.slur', 90, true, 0.2)]; // 'h' is an FN
    const m = 'avlm-op-lc';
    for (const [region, version, stage, ws] of [['AR', '1', 'sft', v1], ['AR', '2', 'alignment', v2], ['CL', '3', 'alignment', v3]] as const) {
      expect((await submit(region, { slice_id: `lc-${version}`, model: { id: m, version, stage }, items: ws.map(toItem) })).status).toBe(201);
    }
    const pooled = (ws: W[]) => {
      const t = detectTimes(ws, '*');
      const { policy: _, ...rest } = t;
      return rest;
    };
    const all = (await api(`/v1/lifecycle?model=${m}`)).data;
    expect(all.stages.map((s: any) => [s.stage, s.time_to_detect])).toEqual([['sft', pooled(v1)], ['alignment', pooled([...v2, ...v3])]]);
    expect(all.stages[1].time_to_detect).toMatchObject({ n: 4, p50: 2_000, p90: 31_000, within_30s: 0.75 });
    const ar = (await api(`/v1/lifecycle?model=${m}&region=AR`)).data;
    expect(ar.stages.map((s: any) => [s.stage, s.time_to_detect])).toEqual([['sft', pooled(v1)], ['alignment', pooled(v2)]]);
  });
});
