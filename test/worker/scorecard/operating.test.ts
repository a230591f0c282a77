// SPEC §12 through HTTP: operating points, the threshold recommendation and time to detect,
// each checked against values recomputed here from the submitted items (outcomes by hand, the
// argmin over the 0.01 grid by brute force, nearest-rank percentiles by sorting) — at ingest,
// after a relabel through a label webhook and after the GPU backend fills in predictions.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';
import { expectRate } from '../reference.ts';
import { createVendor, deliverStandard, ev, expectCountersMatchStore, slicePk } from '../labels/webhooks-helpers.ts';
import { featuresFor } from '../../../gpu-backend/model/spec.ts';
import { policyByCode, policyIndex } from '../../../taxonomy/policies.ts';

const R = 'AR';
const MODEL = { id: 'avlm-op', version: '1', stage: 'sft' };
const scorecard = (region = R, token?: string) => api(`/v1/regions/${region}/scorecard?model=avlm-op&version=1`, { token }).then((r) => r.data);

type W = { item_id: string; policy: string; score?: number; threshold?: number; violating: boolean; ambiguous?: boolean; onset?: number; flag?: number };

/** mulberry32: a seeded generator so the world is the same on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// hate.slur (severity 4, default 0.5): violations score from 0.25 up, so 0.5 misses many and a
// lower threshold costs less. spam.scam: every item decided at its own 0.7. minor.safety: 12
// items (too_few). Three hate.slur FPs carry split votes (LBL.AMBIG: excluded). Live TPs carry
// onset/flag, one of them fractional, some beyond 30 s.
function world(): W[] {
  const r = rng(16);
  const out: W[] = [];
  for (let i = 0; i < 240; i++) {
    const violating = r() < 0.45;
    const score = violating ? 0.25 + r() * 0.75 : r() * 0.6;
    out.push({ item_id: `h${i}`, policy: 'hate.slur', score: Math.round(score * 1000) / 1000, violating });
  }
  // Scores written exactly on the grid: 0.43 is 0.42999… in binary and must count at k = 43.
  for (let i = 0; i < 6; i++) out.push({ item_id: `g${i}`, policy: 'hate.slur', score: [0.43, 0.29, 0.57, 0.01, 0.99, 1][i], violating: i % 2 === 0 });
  for (let i = 0; i < 3; i++) out.push({ item_id: `amb${i}`, policy: 'hate.slur', score: 0.93, violating: false, ambiguous: true });
  for (let i = 0; i < 210; i++) {
    const violating = r() < 0.3;
    out.push({ item_id: `s${i}`, policy: 'spam.scam', score: Math.round((violating ? 0.4 + r() * 0.6 : r() * 0.8) * 100) / 100, threshold: 0.7, violating });
  }
  for (let i = 0; i < 12; i++) out.push({ item_id: `m${i}`, policy: 'minor.safety', score: Math.round(r() * 100) / 100, violating: r() < 0.5 });
  const delays = [1200, 4000, 4000, 9000, 15000, 29999, 30000, 30001, 61000, 1234.5, 800, 2500];
  delays.forEach((d, i) => out.push({ item_id: `live${i}`, policy: 'hate.slur', score: 0.95, violating: true, onset: i === 9 ? 0.25 : 10_000 * i, flag: (i === 9 ? 0.25 : 10_000 * i) + d }));
  // A live FN and a live TN: not detected, so no delay.
  out.push({ item_id: 'liveFN', policy: 'hate.slur', score: 0.1, violating: true, onset: 0, flag: 500 });
  return out;
}

function toItem(w: W) {
  const live = w.onset !== undefined;
  return item(w.item_id, {
    policy: w.policy,
    surface: live ? 'live' : 'vod',
    label: w.ambiguous
      ? { violating: w.violating, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false }] }
      : { violating: w.violating },
    prediction: w.score === undefined ? undefined : { score: w.score, ...(w.threshold !== undefined ? { threshold: w.threshold } : {}) },
    ...(live ? { live: { stream_id: `st-${w.item_id}`, segment: 1, onset_ms: w.onset, flag_ms: w.flag } } : {}),
  });
}

// ---- the expected values, from the items alone ----------------------------------------------
const T = (w: W) => w.threshold ?? policyByCode(w.policy)!.threshold;
const outcome = (w: W) => (w.score! >= T(w) ? (w.violating ? 'tp' : 'fp') : (w.violating ? 'fn' : 'tn'));
const counted = (ws: W[]) => ws.filter((w) => w.score !== undefined && !(w.ambiguous && (outcome(w) === 'fp' || outcome(w) === 'fn')));

function confusion(ws: W[]) {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const w of counted(ws)) c[outcome(w)]++;
  return c;
}

/** Brute force over the items: at each k, predicted violating ⇔ floor(score·100 + 1e-9) ≥ k. */
function bestThreshold(ws: W[], policy: string) {
  const items = counted(ws).filter((w) => w.policy === policy);
  const def = policyByCode(policy)!;
  const ts = new Set(items.map(T));
  const now = confusion(items);
  let best: { k: number; fp: number; fn: number; cost: number } | null = null;
  for (let k = 1; k <= 99; k++) {
    let fp = 0; let fn = 0;
    for (const w of items) {
      const flagged = Math.floor(w.score! * 100 + 1e-9) >= k;
      if (flagged && !w.violating) fp++;
      if (!flagged && w.violating) fn++;
    }
    const cost = def.severity * fn + fp;
    const nearer = best && Math.abs(k / 100 - def.threshold) < Math.abs(best.k / 100 - def.threshold) - 1e-12;
    if (!best || cost < best.cost || (cost === best.cost && nearer)) best = { k, fp, fn, cost };
  }
  const costNow = def.severity * now.fn + now.fp;
  return {
    n: items.length, best: best!, costNow,
    expected: {
      policy, threshold_now: ts.size === 1 ? [...ts][0] : def.threshold, threshold: best!.k / 100,
      fp: { now: now.fp, then: best!.fp }, fn: { now: now.fn, then: best!.fn }, cost: { now: costNow, then: best!.cost },
    },
  };
}

function detectTimes(ws: W[], policy: string) {
  const d = ws.filter((w) => w.policy === policy && w.onset !== undefined && outcome(w) === 'tp').map((w) => w.flag! - w.onset!).sort((a, b) => a - b);
  const at = (p: number) => d[Math.ceil(p * d.length) - 1];
  return { policy, n: d.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: d.filter((x) => x <= 30_000).length / d.length };
}

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
