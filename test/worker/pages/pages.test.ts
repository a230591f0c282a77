// Pages for people (GET /scorecards, GET /scorecards/{region}): auth (bearer, ?key=, login
// cookie), 401/403/404 pages, and numbers — read from data- attributes with HTMLRewriter —
// that equal the JSON API's exactly.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { ADMIN, api, createKey, item, submit } from '../helpers.ts';
import { elements, num, page, texts as pageTexts, type Attrs } from './html.ts';

// Texts as the page has them (entities not decoded): these tests compare formatted numbers.
const texts = (html: string, selector: string) => pageTexts(html, selector, true);
import { HEATMAP_SQL, heatmapParams } from '../../../functions/services/heatmap.ts';
import { contrast, legend, niceMax, STEPS, stepOf } from '../../../functions/pages/palette.ts';
import { fmtCount, fmtEdge, fmtInterval, fmtNum, fmtP, fmtPct, fmtPp, fmtStat } from '../../../functions/pages/format.ts';

const M = 'pgm';
const tn = (id: string, policy = 'hate.slur') => item(id, { policy, label: { violating: false }, prediction: { score: 0.1 } });
const suppressed = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const marginFp = (id: string, policy = 'adult.nudity') => item(id, { policy, label: { violating: false }, prediction: { score: 0.55 } });
const ambig = (id: string) => item(id, {
  policy: 'adult.nudity', prediction: { score: 0.1 },
  label: { violating: true, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: false }, { annotator: 'c', violating: false }] },
});
const pendingItem = (id: string) => ({ item_id: id, surface: 'vod', policy: 'adult.nudity', prediction: { score: 0.2 } });
const many = (n: number, f: (id: string) => unknown, p: string) => Array.from({ length: n }, (_, i) => f(`${p}${i}`));


function post(path: string, form: Record<string, string>, origin: string | null = 'http://avlm.test') {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (origin) headers.origin = origin;
  return api(path, { method: 'POST', token: null, headers, body: new URLSearchParams(form).toString(), redirect: 'manual' });
}

let brKey = '';
let submitOnly = '';

describe('pages for people', () => {
  beforeAll(async () => {
    const slices: Array<[string, string, string, string, unknown[]]> = [
      ['BR', 'br-v1', '1', 'sft', [...many(20, suppressed, 's'), ...many(80, tn, 't'), ...many(4, marginFp, 'm'), ...many(36, (id) => tn(id, 'adult.nudity'), 'a')]],
      ['BR', 'br-v2', '2', 'alignment', [...many(5, suppressed, 's'), ...many(95, tn, 't'), ...many(8, marginFp, 'm'), ...many(2, ambig, 'x'),
        ...many(30, (id) => tn(id, 'adult.nudity'), 'a'), ...many(3, pendingItem, 'p')]],
      ['IN', 'in-v2', '2', 'alignment', [...many(3, suppressed, 's'), ...many(17, tn, 't')]],
      ['MX', 'mx-v2', '2', 'alignment', [...many(10, marginFp, 'm'), ...many(40, (id) => tn(id, 'adult.nudity'), 'a')]],
    ];
    for (const [region, slice_id, version, stage, items] of slices) {
      const r = await submit(region, { slice_id, model: { id: M, version, stage }, items });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
    }
    brKey = await createKey(['BR'], ['read']);
    submitOnly = await createKey(['*'], ['submit']);
  });

  it('answers 401 with the login form when no key is given, and sends private, script-free headers', async () => {
    const r = await page(`/scorecards/BR?model=${M}&version=2`, { token: null });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const forms = await elements(r.data, 'form[action="/scorecards/login"]');
    expect(forms).toEqual([expect.objectContaining({ method: 'post' })]);
    expect(await elements(r.data, 'input[name="next"]')).toEqual([expect.objectContaining({ value: `/scorecards/BR?model=${M}&version=2` })]);
    expect(await elements(r.data, 'label[for="key"]')).toHaveLength(1);
    expect(r.data).toMatch(/^<!doctype html><html lang="en">/);
    expect((await page('/scorecards', { token: null })).status).toBe(401);
    expect((await page('/scorecards', { token: 'wrong' })).status).toBe(401);
  });

  it('shows the region scorecard with exactly the JSON API numbers', async () => {
    const json = (await api(`/v1/regions/BR/scorecard?model=${M}&version=2`)).data;
    const r = await page(`/scorecards/BR?model=${M}&version=2`);
    expect(r.status).toBe(200);
    const [fr] = await elements(r.data, '#failure-rate');
    expect({ value: num(fr['data-value']), low: num(fr['data-low']), high: num(fr['data-high']), n: num(fr['data-n']), too_few: fr['data-too-few'] === 'true' })
      .toEqual(json.failure_rate);
    expect(json.failure_rate).toMatchObject({ n: 138, too_few: false }); // 143 items − 2 excluded − 3 pending
    const text = (await texts(r.data, '#failure-rate .v'))[0];
    expect(text).toBe(fmtPct(json.failure_rate.value));
    expect((await texts(r.data, '#failure-rate'))[0]).toContain(fmtInterval(json.failure_rate.low, json.failure_rate.high));

    const bars = await elements(r.data, 'svg#signatures g.bar');
    expect(bars.map((b) => ({ code: b['data-code'], count: num(b['data-count']), rate: { value: num(b['data-value']), low: num(b['data-low']), high: num(b['data-high']), n: num(b['data-n']), too_few: b['data-too-few'] === 'true' } })))
      .toEqual(json.by_signature);
    for (const b of bars) {
      expect(b.role).toBe('img');
      expect(b['aria-label']).toContain(b['data-code']);
      expect(b['aria-label']).toContain(fmtPct(num(b['data-value'])));
    }
    const titles = await texts(r.data, 'svg#signatures g.bar title');
    expect(titles).toEqual(bars.map((b) => b['aria-label']));

    const policies = await elements(r.data, 'table#policies tbody tr');
    expect(policies.map((p) => [p['data-policy'], num(p['data-value']), num(p['data-n'])]))
      .toEqual(json.by_policy.map((p: any) => [p.policy, p.failure_rate.value, p.failure_rate.n]));

    const recs = await elements(r.data, 'li[data-intervention]');
    expect(recs.map((x) => [x['data-intervention'], num(x['data-score']), num(x['data-recoverable']), num(x['data-cost'])]))
      .toEqual(json.recommendations.map((x: any) => [x.intervention, x.score, x.recoverable, x.cost]));
    const terms = await elements(r.data, 'li[data-intervention] table.terms tbody tr');
    expect(terms.map((t) => [t['data-signature'], t['data-policy'], num(t['data-failures']), num(t['data-weight']), num(t['data-severity'])]))
      .toEqual(json.recommendations.flatMap((x: any) => x.terms.map((t: any) => [t.signature, t.policy, t.failures, t.weight, t.severity])));
    expect(r.data).toContain('failures × weight × severity');
  });

  it('fixture: BR v2 has 138 rate items, 2 excluded, 3 pending', async () => {
    const json = (await api(`/v1/regions/BR/scorecard?model=${M}&version=2`)).data;
    expect(json).toMatchObject({ items: 143, excluded: 2, pending: 3 });
    expect(json.failure_rate.n).toBe(138);
  });

  it('compares with the predecessor (or ?compare=) using the compare API\'s cells', async () => {
    const cmp = (await api(`/v1/regions/BR/compare?model=${M}&from=1&to=2`)).data;
    const r = await page(`/scorecards/BR?model=${M}&version=2`);
    const [table] = await elements(r.data, 'table#compare');
    expect(table).toMatchObject({ 'data-from': '1', 'data-to': '2' });
    const rows = await elements(r.data, 'table#compare tbody tr');
    expect(rows.map((c) => ({
      policy: c['data-policy'], signature: c['data-signature'], verdict: c['data-verdict'],
      from: [num(c['data-from-count']), num(c['data-from-n'])], to: [num(c['data-to-count']), num(c['data-to-n'])],
      diff: num(c['data-diff']), z: num(c['data-z']), p: num(c['data-p']), q: num(c['data-q']),
    }))).toEqual(cmp.cells.map((c: any) => ({
      policy: c.policy, signature: c.signature, verdict: c.verdict, from: [c.from.count, c.from.n], to: [c.to.count, c.to.n],
      diff: c.diff?.value ?? null, z: c.z, p: c.p, q: c.q,
    })));
    const star = cmp.cells.find((c: any) => c.policy === 'hate.slur' && c.signature === '*');
    expect(star.verdict).toBe('improved');
    expect(r.data).toContain(fmtPp(star.diff.value));
    expect(r.data).toContain(fmtP(star.q));
    // v1 has no predecessor: the page says so; choosing ?compare= explicitly works both ways.
    const first = await page(`/scorecards/BR?model=${M}&version=1`);
    expect(await elements(first.data, '#compare-none')).toHaveLength(1);
    const back = await page(`/scorecards/BR?model=${M}&version=1&compare=2`);
    expect(await elements(back.data, 'table#compare')).toEqual([expect.objectContaining({ 'data-from': '2', 'data-to': '1' })]);
    expect((await page(`/scorecards/BR?model=${M}&version=1&compare=9`)).status).toBe(404);
  });

  it('lists slice-level signatures with their statistics as the API does', async () => {
    const json = (await api(`/v1/regions/BR/scorecard?model=${M}&version=2`)).data;
    const r = await page(`/scorecards/BR?model=${M}&version=2`);
    const rows = await elements(r.data, 'table#slice-signatures tbody tr');
    expect(rows.map((x) => [x['data-code'], x['data-policy'], x['data-signature']]))
      .toEqual(json.slice_signatures.map((s: any) => [s.code, s.policy, s.signature ?? '']));
    for (const [i, s] of json.slice_signatures.entries()) {
      if ('z' in s.statistics) expect(num(rows[i]['data-z'])).toBe(s.statistics.z);
      if ('q' in s.statistics) expect(num(rows[i]['data-q'])).toBe(s.statistics.q);
      if (s.code === 'CAL.MISFIT') expect(num(rows[i]['data-p'])).toBe(s.statistics.fp_fn_p);
      if (s.code === 'DIST.SHIFT') expect(num(rows[i]['data-psi-score'])).toBe(s.statistics.psi_score);
    }
    expect(rows.length).toBeGreaterThan(0);
  });

  it('defaults to the most recent version with data in the region and offers a version picker', async () => {
    const r = await page('/scorecards/BR');
    expect(r.status).toBe(200);
    const [h1] = await elements(r.data, 'h1[data-version]');
    expect(h1).toMatchObject({ 'data-model': M, 'data-version': '2' });
    const options = await elements(r.data, 'select#version option');
    expect(options.map((o) => o.value)).toEqual(['2', '1']);
    expect(options[0].selected).toBe('');
    expect(await elements(r.data, 'label[for="version"]')).toHaveLength(1);
    expect(await elements(r.data, 'label[for="compare-with"]')).toHaveLength(1);
    // lower case is redirected; unknown and malformed regions are 404 pages
    const lower = await page(`/scorecards/br?model=${M}`);
    expect(lower.status).toBe(301);
    expect(lower.headers.get('location')).toBe(`/scorecards/BR?model=${M}`);
    const unknown = await page('/scorecards/ZZ');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await page('/scorecards/BRA')).status).toBe(404);
    expect((await page(`/scorecards/BR?model=${M}&version=7`)).status).toBe(404);
    const empty = await page('/scorecards/FR');
    expect(empty.status).toBe(200);
    expect(await elements(empty.data, '#no-data')).toHaveLength(1);
  });

  it('moves a ?key= into an HttpOnly SameSite=Strict cookie and never writes the key into a page', async () => {
    const r = await page(`/scorecards/BR?model=${M}&key=${encodeURIComponent(brKey)}&version=2`, { token: null });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/scorecards/BR?model=${M}&version=2`);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^avlm_key=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/scorecards/);
    const cookie = setCookie.split(';')[0];
    const seen = await page(`/scorecards/BR?model=${M}&version=2`, { token: null, cookie });
    expect(seen.status).toBe(200);
    expect(await elements(seen.data, 'form[action="/scorecards/logout"]')).toHaveLength(1);
    const bad = await page(`/scorecards/BR?key=${encodeURIComponent(brKey + 'x')}`, { token: null });
    expect(bad.status).toBe(401);
    for (const body of [seen.data, bad.data]) {
      expect(body).not.toContain(brKey);
      expect(body).not.toContain(encodeURIComponent(brKey));
    }
    // a revoked/unknown cookie is cleared and answered with the login form
    const stale = await page('/scorecards', { token: null, cookie: 'avlm_key=nope' });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('set-cookie')).toMatch(/avlm_key=;.*Max-Age=0/);
  });

  it('logs in with the form (same origin only), follows only local next paths, and logs out', async () => {
    const ok = await post('/scorecards/login', { key: brKey, next: `/scorecards/BR?model=${M}` });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/scorecards/BR?model=${M}`);
    expect(ok.headers.get('set-cookie')).toMatch(/^avlm_key=[^;]+; Max-Age=28800; Path=\/scorecards; HttpOnly; SameSite=Strict/);
    for (const next of ['https://evil.example/x', '//evil.example/scorecards', '/v1/admin/keys', '/scorecards/login', '/\\evil.example']) {
      const r = await post('/scorecards/login', { key: brKey, next });
      expect(r.headers.get('location'), next).toBe('/scorecards');
    }
    const wrong = await post('/scorecards/login', { key: 'not-a-key-123', next: '/scorecards' });
    expect(wrong.status).toBe(401);
    expect(wrong.data).toContain('That key was not accepted.');
    expect(wrong.data).not.toContain('not-a-key-123');
    expect((await post('/scorecards/login', { key: submitOnly })).status).toBe(403);
    const cross = await post('/scorecards/login', { key: brKey }, 'https://evil.example');
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    const out = await post('/scorecards/logout', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/avlm_key=;.*Max-Age=0/);
    const form = await page('/scorecards/login?next=%2Fscorecards%2FMX', { token: null });
    expect(form.status).toBe(200);
    expect(await elements(form.data, 'input[name="next"]')).toEqual([expect.objectContaining({ value: '/scorecards/MX' })]);
  });

  it('keeps region keys to their regions (403 page) and needs the read scope', async () => {
    const r = await page(`/scorecards/IN?model=${M}`, { token: brKey });
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.data).toContain('not scoped to region IN');
    expect((await page(`/scorecards/BR?model=${M}`, { token: brKey })).status).toBe(200);
    expect((await page(`/scorecards/BR?model=${M}`, { token: submitOnly })).status).toBe(403);
    expect((await page('/scorecards', { token: submitOnly })).status).toBe(403);
    const map = await page(`/scorecards?model=${M}&version=2`, { token: brKey });
    expect(map.status).toBe(200);
    expect((await elements(map.data, '#heatmap tbody tr')).map((x) => x['data-region'])).toEqual(['BR']);
  });

  it('shows the heatmap: regions × signatures with the scorecards\' rates, too-few cells marked, links to each region', async () => {
    const r = await page(`/scorecards?model=${M}&version=2`);
    expect(r.status).toBe(200);
    const rows = await elements(r.data, '#heatmap tbody tr');
    expect(rows.map((x) => x['data-region'])).toEqual(['BR', 'IN', 'MX']);
    const cols = (await elements(r.data, '#heatmap thead th[data-code]')).map((x) => x['data-code']);
    expect(cols).toEqual(['LBL.AMBIG', 'FUS.SUPPRESS.audio', 'THR.MARGIN']);
    const cells = await elements(r.data, '#heatmap tbody td[data-code]');
    expect(cells).toHaveLength(3 * cols.length);
    const links = await elements(r.data, '#heatmap tbody th[scope="row"] a');
    expect(links.map((l) => l.href)).toEqual(['BR', 'IN', 'MX'].map((g) => `/scorecards/${g}?model=${M}&version=2`));
    for (const [i, region] of ['BR', 'IN', 'MX'].entries()) {
      const sc = (await api(`/v1/regions/${region}/scorecard?model=${M}&version=2`)).data;
      const mine = cells.slice(i * cols.length, (i + 1) * cols.length);
      for (const c of mine) {
        const s = sc.by_signature.find((x: any) => x.code === c['data-code']);
        if (s) {
          expect({ count: num(c['data-count']), value: num(c['data-value']), low: num(c['data-low']), high: num(c['data-high']), n: num(c['data-n']), too_few: c['data-too-few'] === 'true' })
            .toEqual({ count: s.count, ...s.rate });
        } else {
          expect(num(c['data-count'])).toBe(0);
        }
        expect(c.class).toMatch(c['data-too-few'] === 'true' ? /^hatch$/ : /^s[0-5]$/);
      }
      const fr = (await elements(r.data, `#heatmap tbody tr[data-region="${region}"] td.fr`))[0];
      expect(num(fr['data-value'])).toBe(sc.failure_rate.value);
    }
    // IN has n = 20: every cell is "too few", in text as well as hatched
    const inRow = await texts(r.data, '#heatmap tbody tr[data-region="IN"] td[data-code]');
    for (const t of inRow) expect(t).toContain('too few');
    // a legend that names the ranges
    const legendItems = await texts(r.data, '#legend li');
    expect(legendItems[0]).toContain('0%');
    expect(legendItems.at(-1)).toContain('too few');
  });

  it('filters the heatmap by policy with the per-policy numbers of the scorecard', async () => {
    const r = await page(`/scorecards?model=${M}&version=2&policy=adult.nudity`);
    expect(r.status).toBe(200);
    const rows = await elements(r.data, '#heatmap tbody tr');
    expect(rows.map((x) => x['data-region'])).toEqual(['BR', 'MX']);
    const sc = (await api(`/v1/regions/BR/scorecard?model=${M}&version=2`)).data;
    const pol = sc.by_policy.find((p: any) => p.policy === 'adult.nudity');
    const cells = await elements(r.data, '#heatmap tbody tr[data-region="BR"] td[data-code]');
    for (const s of pol.by_signature) {
      const c = cells.find((x) => x['data-code'] === s.code)!;
      expect([num(c['data-count']), num(c['data-value']), num(c['data-low']), num(c['data-high'])]).toEqual([s.count, s.rate.value, s.rate.low, s.rate.high]);
    }
    const selected = await elements(r.data, 'select#policy option[selected]');
    expect(selected.map((o) => o.value)).toEqual(['adult.nudity']);
    expect((await page(`/scorecards?model=${M}&version=2&policy=nope`)).status).toBe(400);
    expect((await page(`/scorecards?model=${M}&version=9`)).status).toBe(404);
    // defaults: the most recent version; the version select lists all, newest first
    const def = await page('/scorecards');
    expect((await elements(def.data, 'h1[data-version]'))[0]).toMatchObject({ 'data-model': M, 'data-version': '2' });
    expect((await elements(def.data, 'select#version option')).map((o) => o.value)).toEqual(['2', '1']);
  });

  it('is accessible markup: captions, scoped headers, labelled controls, lang', async () => {
    for (const path of [`/scorecards?model=${M}&version=2`, `/scorecards/BR?model=${M}&version=2`]) {
      const html = (await page(path)).data as string;
      expect(html).toContain('<html lang="en">');
      const tables = await elements(html, 'table');
      const captions = await elements(html, 'table > caption');
      expect(captions.length).toBe(tables.length);
      const ths = await elements(html, 'th');
      for (const th of ths) expect(['col', 'row']).toContain(th.scope);
      const selects = await elements(html, 'select');
      for (const s of selects) expect(await elements(html, `label[for="${s.id}"]`)).toHaveLength(1);
      expect(html).not.toMatch(/<script|<link |src="http|href="http/);
    }
  });

  it('reads the heatmap with one statement: two range seeks on the covering index, no sort', async () => {
    for (const policy of [null, 'hate.slur']) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${HEATMAP_SQL}`).bind(...heatmapParams(M, '2', policy)).all<{ detail: string }>();
      const plan = results.map((r) => r.detail);
      expect(plan.filter((d) => /^SEARCH aggregates USING COVERING INDEX aggregates_model_metric \(model_id=\? AND model_version=\? AND metric/.test(d))).toHaveLength(2);
      expect(plan.join(' | ')).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });

  it('colours: every step keeps text contrast ≥ 4.5:1 and the scale is sequential with round bin edges', () => {
    for (const s of STEPS) expect(contrast(s.bg, s.fg)).toBeGreaterThanOrEqual(4.5);
    const lum = STEPS.map((s) => contrast(s.bg, '#ffffff'));
    expect([...lum].sort((a, b) => a - b)).toEqual(lum);
    expect(niceMax(0.043)).toBe(0.05);
    expect(niceMax(0.18)).toBe(0.2);
    expect(niceMax(0.021)).toBe(0.025);
    expect(legend(0.05).map((l) => [l.low, l.high])).toEqual([[0, 0], [0, 0.01], [0.01, 0.02], [0.02, 0.03], [0.03, 0.04], [0.04, 0.05]]);
    expect([0, 0.001, 0.01, 0.0101, 0.05].map((v) => stepOf(v, 0.05))).toEqual([0, 1, 1, 2, 5]);
  });

  it('formats numbers one way everywhere', () => {
    expect([0.0523, 0.123, 0, 1, 0.00049, null].map(fmtPct)).toEqual(['5.23%', '12.3%', '0.0%', '100.0%', '0.05%', '—']);
    expect(fmtInterval(0.0301, 0.0891)).toBe('3.01%–8.91%');
    expect([-0.15, 0.012, 0].map(fmtPp)).toEqual(['\u221215.0 pp', '+1.20 pp', '0.0 pp']);
    expect([0.0123, 4e-5, 1, null].map(fmtP)).toEqual(['0.012', '4.0e\u22125', '1.000', '—']);
    expect([fmtStat(-3.20713), fmtStat(0.0921, 3)]).toEqual(['\u22123.21', '0.092']);
    expect([fmtCount(12345), fmtNum(19.2), fmtNum(2 / 3), fmtEdge(0.04), fmtEdge(0.125), fmtEdge(0.0025)]).toEqual(['12,345', '19.2', '0.667', '4%', '12.5%', '0.25%']);
  });

  it('escapes what submitters control (model id and version) in every page', async () => {
    const id = 'x"><script>alert(1)</script>';
    const version = '1<i>';
    const r = await submit('DE', { slice_id: 'xss', model: { id, version, stage: 'sft' }, items: many(3, (i) => tn(i), 'e') });
    expect(r.status).toBe(201);
    for (const path of [`/scorecards?model=${encodeURIComponent(id)}&version=${encodeURIComponent(version)}`, `/scorecards/DE?model=${encodeURIComponent(id)}&version=${encodeURIComponent(version)}`]) {
      const p = await page(path);
      expect(p.status, path).toBe(200);
      expect(p.data).not.toContain('<script>alert');
      expect(p.data).not.toContain('<i>');
      expect(p.data).toContain('&lt;script&gt;');
    }
  });
});
