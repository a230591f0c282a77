// Closing the loop for people: GET /scorecards/interventions/{id} (the record and its
// attribution report), the list GET /scorecards/interventions, and the region page's section
// "Interventions in this version" — auth (401/403/200/404) and numbers, read from data-
// attributes with HTMLRewriter, equal to GET /v1/interventions/{id}/attribution.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey } from '../helpers.ts';
import { seedAttributionWorld } from '../attribution-world.ts';
import { elements, num, page, texts, type Attrs } from './html.ts';
import { fmtNum, fmtPct, fmtPp } from '../../../functions/pages/format.ts';
import { VERDICT_TEXT } from '../../../functions/pages/interventions.tsx';

const M = 'pgi';


/** A cell of the attribution as the page's data- attributes hold it. */
const fromAttrs = (a: Attrs) => ({
  region: a['data-region'], signature: a['data-signature'], verdict: a['data-verdict'],
  before: [num(a['data-before-count']), num(a['data-before-n']), num(a['data-before-value']), num(a['data-before-low']), num(a['data-before-high'])],
  after: [num(a['data-after-count']), num(a['data-after-n']), num(a['data-after-value']), num(a['data-after-low']), num(a['data-after-high'])],
  diff: [num(a['data-diff']), num(a['data-diff-low']), num(a['data-diff-high'])], z: num(a['data-z']), p: num(a['data-p']), q: num(a['data-q']),
});
const fromJson = (c: any) => ({
  region: c.region, signature: c.signature, verdict: c.verdict,
  before: [c.before.count, c.before.n, c.before.rate.value, c.before.rate.low, c.before.rate.high],
  after: [c.after.count, c.after.n, c.after.rate.value, c.after.rate.low, c.after.rate.high],
  diff: [c.diff?.value ?? null, c.diff?.low ?? null, c.diff?.high ?? null], z: c.z, p: c.p, q: c.q,
});

const ids: Record<string, string> = {};
let brKey = '';
let submitOnly = '';

describe('intervention pages', () => {
  beforeAll(async () => {
    Object.assign(ids, await seedAttributionWorld(M, 'dropout 0.3 <b>&</b>'));
    brKey = await createKey(['BR'], ['read']);
    submitOnly = await createKey(['*'], ['submit']);
  });

  it('asks for a key (401 with the login form coming back here), 403 outside the key\'s regions or scopes, 404 for an unknown id', async () => {
    const path = `/scorecards/interventions/${ids.A}`;
    const none = await page(path, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('cache-control')).toBe('no-store');
    expect(await elements(none.data, 'input[name="next"]')).toEqual([expect.objectContaining({ value: path })]);
    expect((await page(path, { token: 'wrong' })).status).toBe(401);
    expect((await page(path)).status).toBe(200);
    expect((await page(path, { token: brKey })).status).toBe(200); // targets BR among others
    const out = await page(`/scorecards/interventions/${ids.C}`, { token: brKey }); // CO only
    expect(out.status).toBe(403);
    expect(out.data).toContain('not scoped to any region this intervention targets');
    expect(out.data).not.toContain('THR.MARGIN');
    expect((await page(path, { token: submitOnly })).status).toBe(403);
    expect((await page('/scorecards/interventions/int_nope')).status).toBe(404);
    expect((await page('/scorecards/interventions', { token: null })).status).toBe(401);
  });

  it('works with the login cookie (path /scorecards covers /scorecards/interventions/…)', async () => {
    const r = await page(`/scorecards/interventions/${ids.A}?key=${encodeURIComponent(brKey)}`, { token: null });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/scorecards/interventions/${ids.A}`);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/Path=\/scorecards;/);
    const cookie = setCookie.split(';')[0];
    const ok = await page(`/scorecards/interventions/${ids.A}`, { token: null, cookie });
    expect(ok.status).toBe(200);
    expect(ok.data).not.toContain(brKey);
    expect((await page(`/scorecards/interventions/${ids.C}`, { token: null, cookie })).status).toBe(403);
  });

  it('shows the record and the attribution with exactly the JSON API\'s numbers and verdicts', async () => {
    const json = (await api(`/v1/interventions/${ids.A}/attribution`)).data;
    const r = await page(`/scorecards/interventions/${ids.A}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    const [h1] = await elements(r.data, 'h1');
    expect(h1).toMatchObject({ 'data-id': ids.A, 'data-intervention': 'TRAIN.MODALITY_DROPOUT', 'data-model': M, 'data-version': '2', 'data-before': '1' });
    const [rec] = await elements(r.data, 'table#record');
    expect(rec).toMatchObject({ 'data-lever': 'training', 'data-cost': '9', 'data-applied-at': json.intervention.applied_at });
    expect((await texts(r.data, '#note'))[0]).toBe('dropout 0.3 <b>&</b>'); // escaped, shown as text
    expect(r.data).not.toContain('<b>&</b>');
    expect((await texts(r.data, '#target-regions'))[0]).toBe('AR, BR, MX');

    const kpis = Object.fromEntries((await elements(r.data, '#summary .kpi')).map((k) => [k['data-metric'], k['data-value']]));
    expect(num(kpis.recovered)).toBe(json.summary.recovered);
    expect(num(kpis.overall_gain)).toBe(json.summary.overall_gain);
    expect(num(kpis.attributable_share)).toBe(json.summary.attributable_share);
    expect(kpis.weakly_attributable).toBe(String(json.summary.weakly_attributable));
    expect((await texts(r.data, '#summary-line'))[0]).toContain(`Recovered ${fmtNum(json.summary.recovered)} failures`);

    const rows = await elements(r.data, 'table#targeted tbody tr');
    expect(rows.map(fromAttrs)).toEqual(json.targeted.map(fromJson));
    expect(rows.map((x) => [num(x['data-recovered']), x['data-shared-with']])).toEqual(json.targeted.map((c: any) => [c.recovered, c.shared_with.join(' ')]));
    expect(json.targeted.map((c: any) => c.verdict).sort()).toEqual(['effective', 'no_effect', 'too_few']);
    // Verdicts in words, in the row's last-but-two cell (then credit, shared with).
    const verdictCells = await texts(r.data, 'table#targeted tbody tr td[class^="v-"]');
    expect(verdictCells).toEqual(json.targeted.map((c: any) => VERDICT_TEXT[c.verdict]));
    expect(verdictCells).toContain('▼ effective');
    expect(verdictCells).toContain('no effect');
    expect(verdictCells).toContain('too few items');
    const br = json.targeted.find((c: any) => c.region === 'BR');
    const rowText = (await texts(r.data, 'table#targeted tbody tr[data-region="BR"]'))[0];
    for (const s of [fmtPct(br.before.rate.value), fmtPct(br.after.rate.value), fmtPp(br.diff.value), fmtPp(br.diff.low), fmtPp(br.diff.high)]) expect(rowText).toContain(s);

    // Shared credit: BR is targeted by B too, with a link to B's page.
    expect(br.shared_with).toEqual([ids.B]);
    expect(await elements(r.data, `#shared li[data-region="BR"] a[href="/scorecards/interventions/${ids.B}"]`)).toHaveLength(1);
    expect(await elements(r.data, `table#targeted tr[data-region="BR"] a[href="/scorecards/interventions/${ids.B}"]`)).toHaveLength(1);

    // Collateral: CO's THR.MARGIN rose.
    const coll = await elements(r.data, 'table#collateral tbody tr');
    expect(coll.map(fromAttrs)).toEqual(json.collateral.map(fromJson));
    expect(json.collateral.map((c: any) => [c.region, c.signature, c.verdict])).toEqual([['CO', 'THR.MARGIN', 'regressed']]);
    expect(await texts(r.data, 'table#collateral tbody tr td[class^="v-"]')).toEqual(['▲ regressed']);
  });

  it('says harmful in words, and handles a version without predecessor', async () => {
    const json = (await api(`/v1/interventions/${ids.C}/attribution`)).data;
    const r = await page(`/scorecards/interventions/${ids.C}`);
    expect((await elements(r.data, 'table#targeted tbody tr')).map(fromAttrs)).toEqual(json.targeted.map(fromJson));
    expect(await texts(r.data, 'table#targeted tbody tr td[class^="v-"]')).toEqual(['▲ harmful']);
    expect(await elements(r.data, '#summary .kpi[data-metric="weakly_attributable"]')).toEqual([expect.objectContaining({ 'data-value': 'true' })]);
    expect(await elements(r.data, '#shared-none')).toHaveLength(1);

    const first = await api('/v1/interventions', { method: 'POST', json: { applied_at: '2026-10-01T00:00:00Z', intervention: 'EVAL.PROBE', model: { id: M, version: '1' }, targets: { signatures: ['UNPROBED'], regions: ['*'] } } });
    expect(first.status).toBe(201);
    const p1 = await page(`/scorecards/interventions/${first.data.id}`);
    expect(p1.status).toBe(200);
    expect((await texts(p1.data, '#summary-note'))[0]).toContain('no predecessor');
    expect(await elements(p1.data, 'table#targeted')).toHaveLength(0);
    expect((await texts(p1.data, '#target-regions'))[0]).toBe('all regions (*)');
    // A '*' record is not readable by a region key (as in the JSON API).
    expect((await page(`/scorecards/interventions/${first.data.id}`, { token: brKey })).status).toBe(403);
  });

  it('lists the interventions of this version on the region page, with this region\'s verdicts and links', async () => {
    const r = await page(`/scorecards/BR?model=${M}&version=2`);
    expect(r.status).toBe(200);
    const items = await elements(r.data, '#region-interventions > li');
    expect(items.map((x) => x['data-id'])).toEqual([ids.A, ids.B]); // C targets CO only
    for (const name of ['A', 'B']) {
      const json = (await api(`/v1/interventions/${ids[name]}/attribution`)).data;
      expect(await elements(r.data, `#region-interventions > li[data-id="${ids[name]}"] > a[href="/scorecards/interventions/${ids[name]}"]`)).toHaveLength(1);
      const cells = await elements(r.data, `#region-interventions > li[data-id="${ids[name]}"] li`);
      expect(cells.map(fromAttrs)).toEqual(json.targeted.filter((c: any) => c.region === 'BR').map(fromJson));
      expect(await texts(r.data, `#region-interventions > li[data-id="${ids[name]}"] li span[class^="v-"]`)).toEqual(['▼ effective']);
    }
    // A region key sees the same section for its region.
    const k = await page(`/scorecards/BR?model=${M}&version=2`, { token: brKey });
    expect((await elements(k.data, '#region-interventions > li')).map((x) => x['data-id'])).toEqual([ids.A, ids.B]);
    const co = await page(`/scorecards/CO?model=${M}&version=2`);
    expect((await elements(co.data, '#region-interventions > li')).map((x) => x['data-id'])).toEqual([ids.C]);
    expect(await texts(co.data, `#region-interventions li[data-id="${ids.C}"] li span[class^="v-"]`)).toEqual(['▲ harmful']);
    const mx = await page(`/scorecards/MX?model=${M}&version=2`);
    expect((await elements(mx.data, '#region-interventions > li')).map((x) => x['data-id'])).toEqual([ids.A]);
    expect(await texts(mx.data, `#region-interventions li[data-id="${ids.A}"] li span[class^="v-"]`)).toEqual(['no effect']);
  });

  it('lists the readable records at /scorecards/interventions?model=&version=', async () => {
    const all = await page(`/scorecards/interventions?model=${M}&version=2`);
    expect(all.status).toBe(200);
    expect((await elements(all.data, 'table#interventions tbody tr')).map((x) => x['data-id'])).toEqual([ids.A, ids.B, ids.C]);
    expect(await elements(all.data, `table#interventions a[href="/scorecards/interventions/${ids.C}"]`)).toHaveLength(1);
    const br = await page(`/scorecards/interventions?model=${M}&version=2`, { token: brKey });
    expect((await elements(br.data, 'table#interventions tbody tr')).map((x) => x['data-id'])).toEqual([ids.A, ids.B]);
    const none = await page('/scorecards/interventions?model=nope');
    expect(await elements(none.data, '#interventions-none')).toHaveLength(1);
  });
});
