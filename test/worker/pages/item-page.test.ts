// The item diagnosis page (issue 14): what the item route answers (outcome, every signature with
// its evidence), the catalogue's rule for each signature (as GET /v1/signatures/{code} words
// it), prediction and probes, the label with its votes (submitted and a vendor's, with the
// delivery), what the store keeps of the history, the consensus posterior, live neighbours;
// 401/403/404 like the other pages.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, createKey, item, submit } from '../helpers.ts';
import { createVendor, deliverStandard, ev } from '../labels/webhooks-helpers.ts';
import { elements, num, page, texts } from './html.ts';
import { findCurrentItem } from '../../../functions/store/items/editor.ts';
import { getSlice } from '../../../functions/store/slices.ts';

const M = { id: 'itm', version: '1', stage: 'production' };
const SLICE = 'it-1';
const ODD = 'odd id/with ünïcode & "quotes"';
const seg = (n: number, score: number) => ({
  item_id: `l${n}`, surface: 'live', policy: 'hate.slur', label: { violating: true }, prediction: { score }, live: { stream_id: 'st', segment: n },
});
const ITEMS = [
  item('sup', { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9, no_audio: 0.05 }, language: 'pt-BR' }),
  item('amb', { label: { violating: false, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false }] }, prediction: { score: 0.95 } }),
  item('pend', { label: undefined, prediction: { score: 0.3 } }),
  item(ODD),
  seg(1, 0.9), seg(2, 0.1), seg(3, 0.9),
];

const path = (id: string, region = 'BR', slice = SLICE) => `/scorecards/${region}/slices/${encodeURIComponent(slice)}/items/${encodeURIComponent(id)}`;
const apiItem = async (id: string) => (await api(`/v1/regions/BR/slices/${SLICE}/items/${encodeURIComponent(id)}`)).data;
let delivery = '';

describe('item diagnosis page', () => {
  beforeAll(async () => {
    const r = await submit('BR', { slice_id: SLICE, model: M, items: ITEMS });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect((await submit('AR', { slice_id: 'ar-1', model: M, items: [item('x')] })).status).toBe(201);
    const secret = await createVendor('itv');
    const d = await deliverStandard('itv', secret, [ev('BR', SLICE, 'sup', true, { annotator: 'v-ann', labelled_at: '2026-11-20T08:00:00.000Z', evidence: ['audio'] })]);
    expect(d.status, JSON.stringify(d.data)).toBe(200);
    delivery = d.id;
  });

  it('shows the outcome and every signature with the evidence of the item route and the catalogue\'s rule', async () => {
    for (const id of ['sup', 'amb', 'l2']) {
      const want = await apiItem(id);
      const r = await page(path(id));
      expect(r.status, id).toBe(200);
      const [h1] = await elements(r.data, 'h1');
      expect(h1).toMatchObject({ 'data-outcome': want.outcome, 'data-primary': want.primary ?? '', 'data-item': id, 'data-slice': SLICE, 'data-region': 'BR' });
      const rows = await elements(r.data, 'table#signatures tbody tr');
      expect(want.secondary.length).toBeGreaterThan(0);
      expect(rows.map((x) => [x['data-code'], JSON.parse(x['data-evidence']), x['data-primary']]))
        .toEqual(want.secondary.map((s: any) => [s.code, s.evidence, String(s.code === want.primary)]));
      const rules = await texts(r.data, 'table#signatures tbody tr td:nth-child(3)');
      for (const [i, s] of want.secondary.entries()) {
        const cat = (await api(`/v1/signatures/${s.code}`)).data;
        expect(rules[i]).toBe(cat.rule);
      }
    }
    expect((await apiItem('amb')).primary).toBe('LBL.AMBIG');
    expect((await apiItem('l2')).primary).toBe('TMP.FLIP');
  });

  it('shows the item, its prediction and probes as stored', async () => {
    const want = await apiItem('sup');
    const r = await page(path('sup'));
    const field = async (table: string, f: string) => (await texts(r.data, `table#${table} tr[data-field="${f}"] td`))[0];
    expect(await field('item', 'policy')).toMatch(/^hate\.slur — /);
    expect(await field('item', 'surface')).toBe('vod');
    expect(await field('item', 'language')).toBe('pt-BR');
    expect(await field('item', 'model')).toBe('itm 1 (production)');
    expect(await field('item', 'slice')).toMatch(/^it-1, submitted \d{4}-/);
    expect(await field('outcome', 'outcome')).toBe(want.outcome);
    expect(await field('prediction', 'score')).toBe(String(want.item.prediction.score));
    expect(await field('prediction', 'decision')).toBe('not flagged');
    expect(await field('prediction', 'threshold')).toContain(String(want.threshold));
    const probes = await elements(r.data, 'table#probes td[data-probe]');
    expect(probes.filter((p) => p['data-value'] !== '').map((p) => [p['data-probe'], num(p['data-value'])])).toEqual(Object.entries(want.item.probes));
  });

  it('lists the votes: those submitted with the item, and a vendor\'s with its delivery and arrival', async () => {
    const amb = await page(path('amb'));
    const votes = await elements(amb.data, 'table#votes tbody tr');
    expect(votes.map((v) => [v['data-annotator'], v['data-vendor'], v['data-violating']])).toEqual([['a', '(submitted)', 'true'], ['b', '(submitted)', 'true'], ['c', '(submitted)', 'false']]);
    const sup = await page(path('sup'));
    const [v] = await elements(sup.data, 'table#votes tbody tr');
    expect(v).toMatchObject({ 'data-annotator': 'v-ann', 'data-vendor': 'itv', 'data-violating': 'true', 'data-labelled-at': '2026-11-20T08:00:00.000Z' });
    const cells = await texts(sup.data, 'table#votes tbody tr td');
    expect(cells[3]).toBe(delivery);
    expect(cells[4]).toMatch(/^\d{4}-\d\d-\d\dT/); // when the delivery arrived (the ledger)
    expect(await texts(sup.data, '#history')).toEqual([expect.stringContaining('earlier votes and earlier labels are replaced')]);
    expect(await elements((await page(path('pend'))).data, '#label-none')).toHaveLength(1);
  });

  it('shows the consensus posterior once a consensus run has covered the item', async () => {
    const before = await elements((await page(path('amb'))).data, '#consensus');
    expect(before[0]['data-p-violating']).toBe('');
    const run = await api('/v1/admin/consensus', { method: 'POST', json: {} });
    expect(run.status, JSON.stringify(run.data)).toBe(200);
    const slice = (await getSlice(env.DB, 'BR', SLICE))!;
    const rec = (await findCurrentItem(env, slice, 'amb'))!;
    expect(typeof rec.c).toBe('number');
    const after = await elements((await page(path('amb'))).data, '#consensus');
    expect(num(after[0]['data-p-violating'])).toBe(rec.c);
  });

  it('shows a live segment\'s stream neighbours with links to their pages', async () => {
    const r = await page(path('l2'));
    const [t] = await elements(r.data, 'table#neighbours');
    expect(t).toMatchObject({ 'data-stream': 'st', 'data-segment': '2' });
    const sides = await elements(r.data, 'table#neighbours tbody tr');
    expect(sides.map((s) => [s['data-side'], s['data-segment'], s['data-decision'], s['data-violating']])).toEqual([['prev', '1', 'true', 'true'], ['next', '3', 'true', 'true']]);
    expect((await elements(r.data, 'table#neighbours tbody tr a')).map((a) => a.href)).toEqual([path('l1'), path('l3')]);
    expect(await elements((await page(path('sup'))).data, '#neighbours-none')).toHaveLength(1);
  });

  it('reads ids that need escaping in the path, and escapes them in the page', async () => {
    const r = await page(path(ODD));
    expect(r.status).toBe(200);
    expect((await elements(r.data, 'h1'))[0]['data-item']).toBe(ODD);
    expect(r.data).not.toContain('"quotes"');
  });

  it('answers 401 without a key, 403 outside the key\'s regions, 404 for an unknown slice, item or region', async () => {
    expect((await page(path('sup'), { token: null })).status).toBe(401);
    const br = await createKey(['BR'], ['read']);
    expect((await page(path('sup'), { token: br })).status).toBe(200);
    const ar = await page(path('x', 'AR', 'ar-1'), { token: br });
    expect(ar.status).toBe(403);
    expect(ar.data).toContain('not scoped to region AR');
    expect((await page(path('x', 'AR', 'ar-1'))).status).toBe(200);
    for (const p of [path('nope'), path('sup', 'BR', 'no-slice'), path('sup', 'ZZ'), path('sup', 'br')]) {
      const r = await page(p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('is accessible markup: captions, scoped headers, no scripts or outside assets', async () => {
    const html = (await page(path('l2'))).data as string;
    expect((await elements(html, 'table > caption')).length).toBe((await elements(html, 'table')).length);
    for (const th of await elements(html, 'th')) expect(['col', 'row']).toContain(th.scope);
    expect(html).not.toMatch(/<script|<link |src="http|href="http/);
  });
});
