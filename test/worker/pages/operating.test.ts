// The region page's operating points (SPEC §12): each policy against the predecessor, a cost
// curve per policy drawn on the server (now and recommended marked, no scripts) whose costs are
// the brute-force costs of the submitted items, and time to detect — the JSON API's numbers.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { elements, num, page, texts } from './html.ts';
import { detectTimes, gridCosts, bestThreshold, toItem, world } from '../operating-world.ts';

const R = 'AR';
const M = 'op-page';
const before = world(5);
const now = world();

describe('region page: operating points, cost curves, time to detect', () => {
  let html = '';
  let sc: any;
  let prev: any;
  beforeAll(async () => {
    expect((await submit(R, { slice_id: 'op-v1', model: { id: M, version: '1', stage: 'sft' }, items: before.map(toItem) })).status).toBe(201);
    expect((await submit(R, { slice_id: 'op-v2', model: { id: M, version: '2', stage: 'alignment' }, items: now.map(toItem) })).status).toBe(201);
    sc = (await api(`/v1/regions/${R}/scorecard?model=${M}&version=2`)).data;
    prev = (await api(`/v1/regions/${R}/scorecard?model=${M}&version=1`)).data;
    const r = await page(`/scorecards/${R}?model=${M}&version=2`);
    expect(r.status).toBe(200);
    html = r.data;
  });

  it('lists each policy against its predecessor with the JSON numbers of both versions', async () => {
    const rows = await elements(html, 'table#operating-points tbody tr');
    const pick = (o: any) => [o.tp, o.fp, o.tn, o.fn, o.precision?.value ?? null, o.recall?.value ?? null, o.fpr?.value ?? null, o.fnr?.value ?? null];
    const got = rows.map((x) => [x['data-policy'], x['data-version'], ...['tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'fpr', 'fnr'].map((k) => num(x[`data-${k}`]))]);
    const want = sc.operating_points.flatMap((o: any) => {
      const p = prev.operating_points.find((x: any) => x.policy === o.policy);
      return [[o.policy, '2', ...pick(o)], ...(p ? [[o.policy, '1', ...pick(p)]] : [])];
    });
    expect(got).toEqual(want);
    expect(got.filter((x) => x[1] === '1')).toHaveLength(prev.operating_points.length);
  });

  it('draws a cost curve per policy: the costs at k = 1…99 counted over the items, now and the recommendation marked', async () => {
    const svgs = await elements(html, 'svg.cost-curve');
    expect(svgs.map((s) => s['data-policy'])).toEqual(['hate.slur', 'minor.safety', 'spam.scam']);
    for (const s of svgs) {
      const policy = s['data-policy'];
      expect(s['data-costs'].split(' ').map(Number)).toEqual(gridCosts(now, policy).map((c) => c.cost));
      const b = bestThreshold(now, policy);
      expect(num(s['data-cost-now'])).toBe(b.costNow);
      const recommended = b.n >= 200 && b.best.cost < b.costNow;
      expect(num(s['data-threshold'])).toBe(recommended ? b.best.k / 100 : null);
      const id = s.id;
      expect(await elements(html, `svg#${id} g.now circle`)).toHaveLength(1);
      expect(await elements(html, `svg#${id} g.recommended circle`)).toHaveLength(recommended ? 1 : 0);
      expect((await elements(html, `svg#${id} polyline.curve`))[0].points.split(' ')).toHaveLength(99);
      const caption = (await texts(html, `#${id}-cap`))[0];
      if (recommended) {
        const sign = (n: number) => (n < 0 ? `−${-n}` : `+${n}`);
        expect(caption).toContain(`set ${policy} to ${b.expected.threshold.toFixed(2)}: ${sign(b.expected.fn.then - b.expected.fn.now)} FN, ${sign(b.expected.fp.then - b.expected.fp.now)} FP`);
      }
    }
    // The hate.slur marks sit at their thresholds on the curve: x of the recommended circle is
    // the polyline's x at k = threshold·100.
    const hate = svgs.find((s) => s['data-policy'] === 'hate.slur')!;
    const pts = (await elements(html, `svg#${hate.id} polyline.curve`))[0].points.split(' ').map((p) => p.split(',').map(Number));
    const k = Math.round(num(hate['data-threshold'])! * 100);
    const [circle] = await elements(html, `svg#${hate.id} g.recommended circle`);
    expect(Number(circle.cx)).toBeCloseTo(pts[k - 1][0], 0);
    expect(Number(circle.cy)).toBeCloseTo(pts[k - 1][1], 0);
    expect(html).not.toMatch(/<script/i);
  });

  it('shows time to detect per policy as the JSON API and the hand-sorted delays give it', async () => {
    const rows = await elements(html, 'table#time-to-detect tbody tr');
    const got = rows.map((x) => ({ policy: x['data-policy'], n: num(x['data-n']), p50: num(x['data-p50']), p90: num(x['data-p90']), p99: num(x['data-p99']), within_30s: num(x['data-within-30s']) }));
    expect(got).toEqual(sc.time_to_detect);
    expect(got).toEqual([detectTimes(now, 'hate.slur')]);
  });
});
