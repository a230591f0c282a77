// Issue 14 on the heatmap and the region page: every count links to the items page of its cell
// (query names model, version, policy, signature, outcome — the URLs are spelled out here, not
// built with the helper under test), the heatmap opens the version most regions have (not a
// small test version submitted last), sorts by any column with header links, colours the
// failure-rate column, and scrolls with the page (no inner scroll box).
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { elements, num, page, texts } from './html.ts';
import { niceMax, stepOf } from '../../../functions/pages/palette.ts';
import { CSS } from '../../../functions/pages/layout.tsx';

const M = 'evl';
const tn = (id: string, policy = 'hate.slur') => item(id, { policy, label: { violating: false }, prediction: { score: 0.1 } });
const suppressed = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const marginFp = (id: string) => item(id, { policy: 'adult.nudity', label: { violating: false }, prediction: { score: 0.55 } });
const tp = (id: string) => item(id, { label: { violating: true }, prediction: { score: 0.9 } });
const pendingItem = (id: string) => ({ item_id: id, surface: 'vod', policy: 'adult.nudity', prediction: { score: 0.2 } });
const many = (n: number, f: (id: string) => unknown, p: string) => Array.from({ length: n }, (_, i) => f(`${p}${i}`));

// Versions 1 and 2 in three regions; '3-test' (7 items, one region) is submitted last.
const PLAN: Array<[string, string, string, unknown[]]> = [
  ['BR', '1', 'sft', [...many(9, suppressed, 's'), ...many(40, tn, 't')]],
  ['AR', '1', 'sft', [...many(2, suppressed, 's'), ...many(50, tn, 't')]],
  ['MX', '1', 'sft', [...many(30, tn, 't')]],
  ['BR', '2', 'alignment', [...many(6, suppressed, 's'), ...many(40, tn, 't'), ...many(3, marginFp, 'm'), ...many(5, tp, 'p'), ...many(2, pendingItem, 'q')]],
  ['AR', '2', 'alignment', [...many(12, suppressed, 's'), ...many(35, tn, 't'), ...many(1, marginFp, 'm')]],
  ['MX', '2', 'alignment', [...many(4, marginFp, 'm'), ...many(33, tn, 't')]],
  ['DE', '3-test', 'alignment', [...many(2, suppressed, 's'), ...many(5, tn, 't')]],
];

const enc = encodeURIComponent;
const scorecard = async (region: string, version = '2') => (await api(`/v1/regions/${region}/scorecard?model=${M}&version=${version}`)).data;

describe('evidence links, heatmap default, sort and colours', () => {
  beforeAll(async () => {
    for (const [region, version, stage, items] of PLAN) {
      const r = await submit(region, { slice_id: `${region}-${version}`, model: { id: M, version, stage }, items });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
    }
  });

  it('opens the version most regions have, not the small test version submitted last', async () => {
    const r = await page('/scorecards');
    expect(r.status).toBe(200);
    expect((await elements(r.data, 'h1[data-version]'))[0]).toMatchObject({ 'data-model': M, 'data-version': '2' });
    // …while the picker still offers every version, newest first, and the test version opens on request
    expect((await elements(r.data, 'select#version option')).map((o) => o.value)).toEqual(['3-test', '2', '1']);
    const t = await page(`/scorecards?model=${M}&version=3-test`);
    expect((await elements(t.data, '#heatmap tbody tr')).map((x) => x['data-region'])).toEqual(['DE']);
  });

  it('links every non-zero count of the heatmap to the items of its cell (policy kept when filtered)', async () => {
    for (const policy of [null, 'adult.nudity']) {
      const r = await page(`/scorecards?model=${M}&version=2${policy ? `&policy=${policy}` : ''}`);
      const cells = await elements(r.data, '#heatmap tbody td[data-code]');
      const links = await elements(r.data, '#heatmap tbody td[data-code] a.items');
      const withCount = cells.filter((c) => num(c['data-count'])! > 0);
      expect(withCount.length).toBeGreaterThan(0);
      expect(links.length).toBe(withCount.length);
      const rows = await elements(r.data, '#heatmap tbody tr');
      for (const row of rows) {
        const region = row['data-region'];
        const mine = await elements(r.data, `#heatmap tbody tr[data-region="${region}"] td[data-code] a.items`);
        const codes = (await elements(r.data, `#heatmap tbody tr[data-region="${region}"] td[data-code]`)).filter((c) => num(c['data-count'])! > 0).map((c) => c['data-code']);
        expect(mine.map((a) => a.href)).toEqual(codes.map((code) => `/scorecards/${region}/items?model=${M}&version=2${policy ? `&policy=${enc(policy)}` : ''}&signature=${enc(code)}`));
        const [n] = await elements(r.data, `#heatmap tbody tr[data-region="${region}"] td[data-n] a.items`);
        expect(n.href).toBe(`/scorecards/${region}/items?model=${M}&version=2${policy ? `&policy=${enc(policy)}` : ''}`);
      }
      // the count shown under each rate is the scorecard's
      const sc = await scorecard('AR');
      const sig = policy ? sc.by_policy.find((p: any) => p.policy === policy).by_signature : sc.by_signature;
      const shown = await texts(r.data, '#heatmap tbody tr[data-region="AR"] td[data-code] .cnt');
      const codes = (await elements(r.data, '#heatmap tbody tr[data-region="AR"] td[data-code]')).map((c) => c['data-code']);
      expect(shown).toEqual(codes.map((code) => String(sig.find((s: any) => s.code === code)?.count ?? 0)));
    }
  });

  it('sorts by any column with header links that keep the filters, toggle the direction and mark aria-sort', async () => {
    const frs: Record<string, number> = {};
    const fus: Record<string, number | null> = {};
    for (const g of ['AR', 'BR', 'MX']) {
      const sc = await scorecard(g);
      frs[g] = sc.failure_rate.value;
      fus[g] = sc.by_signature.find((s: any) => s.code === 'FUS.SUPPRESS.audio')?.rate.value ?? null;
    }
    const regionsOf = async (q: string) => (await elements((await page(`/scorecards?model=${M}&version=2${q}`)).data, '#heatmap tbody tr')).map((x) => x['data-region']);
    expect(await regionsOf('')).toEqual(['AR', 'BR', 'MX']);
    expect(await regionsOf('&sort=region&dir=desc')).toEqual(['MX', 'BR', 'AR']);
    const byFr = Object.keys(frs).sort((a, b) => frs[b] - frs[a]);
    expect(await regionsOf('&sort=failure_rate&dir=desc')).toEqual(byFr);
    expect(await regionsOf('&sort=failure_rate&dir=asc')).toEqual([...byFr].reverse());
    // a signature column: by its rate; MX has none of it (rate 0 over its n) — sorted as a number
    const byFus = Object.keys(fus).sort((a, b) => (fus[b] ?? -1) - (fus[a] ?? -1));
    expect(await regionsOf('&sort=FUS.SUPPRESS.audio')).toEqual(byFus);
    expect(await regionsOf('&sort=FUS.SUPPRESS.audio&dir=asc')).toEqual([...byFus].reverse());

    const r = await page(`/scorecards?model=${M}&version=2&policy=hate.slur&sort=failure_rate&dir=desc`);
    const ths = await elements(r.data, '#heatmap thead th');
    expect(ths.map((t) => t['data-sort'])).toEqual(['region', 'n', 'failure_rate', ...(await elements(r.data, '#heatmap thead th[data-code]')).map((t) => t['data-code'])]);
    expect(ths.filter((t) => t['aria-sort']).map((t) => [t['data-sort'], t['aria-sort']])).toEqual([['failure_rate', 'descending']]);
    const hrefs = (await elements(r.data, '#heatmap thead th a')).map((a) => a.href);
    expect(hrefs[0]).toBe(`/scorecards?model=${M}&version=2&policy=hate.slur&sort=region&dir=asc`);
    expect(hrefs[2]).toBe(`/scorecards?model=${M}&version=2&policy=hate.slur&sort=failure_rate&dir=asc`);
    expect(hrefs[3]).toMatch(/&sort=[A-Z.a-z_]+&dir=desc$/);
    // The filter form keeps the sort (hidden fields), and only when it is not the default.
    expect((await elements(r.data, 'form.filters input[type="hidden"]')).map((i) => [i.name, i.value])).toEqual([['model', M], ['sort', 'failure_rate'], ['dir', 'desc']]);
    expect((await elements((await page(`/scorecards?model=${M}&version=2`)).data, 'form.filters input[type="hidden"]')).map((i) => i.name)).toEqual(['model']);
    for (const [q, field] of [['sort=<b>', 'sort'], ['sort=items;drop', 'sort'], ['dir=up', 'dir']]) {
      const bad = await page(`/scorecards?model=${M}&version=2&${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.data).toContain(`${field}: `);
      expect(bad.data).not.toContain('<b>');
    }
  });

  it('colours the failure-rate column on its own scale, with a legend', async () => {
    const r = await page(`/scorecards?model=${M}&version=2`);
    const frs = await elements(r.data, '#heatmap tbody td.fr');
    const values = frs.filter((f) => f['data-too-few'] !== 'true').map((f) => num(f['data-value'])!);
    const top = niceMax(Math.max(...values));
    for (const f of frs) {
      const want = f['data-too-few'] === 'true' ? 'hatch' : `s${stepOf(num(f['data-value'])!, top)}`;
      expect(f.class.split(' ')).toContain(want);
    }
    expect(new Set(frs.map((f) => f.class)).size).toBeGreaterThan(1);
    expect((await elements(r.data, '#legend-fr'))[0]['data-top']).toBe(String(top));
  });

  it('scrolls the heatmap with the page: no inner scroll box, a sticky header row', () => {
    const rule = (sel: string) => new RegExp(`(^|\\n)${sel.replace(/[.[\]]/g, (c) => `\\${c}`)}\\{([^}]*)\\}`).exec(CSS)?.[2] ?? '';
    expect(rule('.heat-wrap')).not.toMatch(/overflow|max-height/);
    expect(rule('.heat thead th')).toMatch(/position:sticky;top:0/);
  });

  it('links the region page\'s counts (outcomes, pending, per-policy items, FP, FN, top signatures, bars, terms) to their items', async () => {
    const sc = await scorecard('BR');
    const r = await page(`/scorecards/BR?model=${M}&version=2`);
    const base = `/scorecards/BR/items?model=${M}&version=2`;
    const outcomes = await elements(r.data, '#outcomes a.items');
    const want = (['TP', 'TN', 'FP', 'FN'] as const).filter((o) => sc.outcomes[o.toLowerCase()] > 0);
    expect(outcomes.map((a) => a.href)).toEqual(want.map((o) => `${base}&outcome=${o}`));
    expect(await texts(r.data, '#outcomes a.items')).toEqual(want.map((o) => String(sc.outcomes[o.toLowerCase()])));
    expect(sc.pending).toBe(2);
    expect((await elements(r.data, '[data-metric="pending"] a.items'))[0].href).toBe(`${base}&outcome=pending`);
    expect((await elements(r.data, '[data-metric="items"] a.items'))[0].href).toBe(base);
    for (const p of sc.by_policy) {
      const links = (await elements(r.data, `table#policies tr[data-policy="${p.policy}"] a.items`)).map((a) => a.href);
      const pol = `${base}&policy=${enc(p.policy)}`;
      expect(links).toEqual([
        pol,
        ...(p.outcomes.fp > 0 ? [`${pol}&outcome=FP`] : []), ...(p.outcomes.fn > 0 ? [`${pol}&outcome=FN`] : []),
        ...p.by_signature.slice(0, 3).map((s: any) => `${pol}&signature=${enc(s.code)}`),
      ]);
    }
    const bars = await elements(r.data, 'svg#signatures g.bar a.items');
    expect(bars.map((a) => a.href)).toEqual(sc.by_signature.map((s: any) => `${base}&signature=${enc(s.code)}`));
    const terms = await elements(r.data, 'li[data-intervention] table.terms tbody tr');
    const termLinks = await elements(r.data, 'li[data-intervention] table.terms tbody tr a.items');
    expect(termLinks.map((a) => a.href)).toEqual(terms.map((t) => `${base}&policy=${enc(t['data-policy'])}&signature=${enc(t['data-signature'])}`));
  });
});
