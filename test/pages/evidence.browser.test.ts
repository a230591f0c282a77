// Issue 14 in a real browser (Debian chromium via playwright-core) against the Worker served over
// HTTP: the walk heatmap → region page → item page with every number checked against the JSON
// API and the count links pointing at the items of their cells; at 1400 px no Verdict cell is
// cut off, no bar label is clipped, and the heatmap scrolls as a page with its header row
// staying in view (bounding boxes compared). Screenshots land in test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiJson, ARTIFACTS, CHROMIUM, HAVE_CHROMIUM, launchChromium, num, readKeys, startWorker, type RunningWorker } from './worker.ts';
import { MODEL, submitFixtures } from './fixtures.ts';

// Forty more regions with one v2 slice each, so the heatmap is taller than the window.
const EXTRA = ['AR', 'AT', 'AU', 'BE', 'BG', 'CA', 'CH', 'CL', 'CN', 'CO', 'CZ', 'DK', 'EG', 'ES', 'FI', 'FR', 'GB', 'GR', 'HU', 'ID',
  'IE', 'IL', 'IT', 'KE', 'KR', 'MA', 'MY', 'NG', 'NL', 'NO', 'NZ', 'PE', 'PH', 'PK', 'PL', 'PT', 'RO', 'SE', 'TH', 'TR'];

async function extraRegions(base: string) {
  for (const [i, region] of EXTRA.entries()) {
    const items = Array.from({ length: 40 }, (_, k) => ({
      item_id: `e${k}`, surface: 'vod', policy: 'hate.slur', label: { violating: k < (i % 7) + 1 }, prediction: { score: 0.1 },
      ...(k < (i % 7) + 1 ? { label: { violating: true, evidence: ['audio'] }, probes: { audio_only: 0.9 } } : {}),
    }));
    const r = await apiJson(base, `/v1/regions/${region}/slices`, { method: 'POST', body: { slice_id: `${region}-2`, model: { id: MODEL, version: '2', stage: 'alignment' }, items } });
    if (r.status !== 201) throw new Error(`submit ${region}: ${r.status} ${JSON.stringify(r.data)}`);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('evidence pages in a real browser', () => {
  let w: RunningWorker;
  let browser: Browser;
  let page: Page;
  let readKey = '';
  let recId = '';

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await startWorker('pages-dist-evidence');
    await submitFixtures(w.url);
    await extraRegions(w.url);
    const rec = await apiJson(w.url, '/v1/interventions', { method: 'POST', body: { applied_at: '2026-11-01T00:00:00Z', model: { id: MODEL, version: '2' }, intervention: 'TRAIN.MODALITY_DROPOUT', targets: { signatures: ['FUS.SUPPRESS', 'THR.MARGIN', 'FUS.SHORTCUT'], regions: ['BR', 'IN', 'JP', 'MX', 'DE'] }, note: 'dropout' } });
    if (rec.status !== 201) throw new Error(`record: ${rec.status} ${JSON.stringify(rec.data)}`);
    recId = rec.data.id;
    ({ readKey } = await readKeys(w.url));
    let ctx;
    ({ browser, ctx, page } = await launchChromium(CHROMIUM));
    await ctx.close();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    // Sign in through a ?key= link: the key moves into the cookie.
    const r = await page.goto(`${w.url}/scorecards?key=${encodeURIComponent(readKey)}`);
    expect(r!.status()).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('walks heatmap → region page → item page; every number equals the API\'s, every count links to its cell', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    // The heatmap cell of BR × FUS.SUPPRESS.audio: its count is the scorecard's and links to its items.
    const sc = (await apiJson(w.url, `/v1/regions/BR/scorecard?model=${MODEL}&version=2`, { token: readKey })).data;
    const fus = sc.by_signature.find((s: any) => s.code === 'FUS.SUPPRESS.audio');
    const cell = page.locator('#heatmap tbody tr[data-region="BR"] td[data-code="FUS.SUPPRESS.audio"]');
    expect(num(await cell.getAttribute('data-count'))).toBe(fus.count);
    expect(await cell.locator('.cnt').textContent()).toBe(String(fus.count));
    expect(await cell.locator('a').getAttribute('href')).toBe(`/scorecards/BR/items?model=${MODEL}&version=2&signature=FUS.SUPPRESS.audio`);

    await Promise.all([page.waitForURL(/\/scorecards\/BR\?/), page.locator('#heatmap tbody tr[data-region="BR"] th a').click()]);
    const fr = await page.$eval('#failure-rate', (d) => ({ ...(d as HTMLElement).dataset }));
    expect(num(fr.value)).toBe(sc.failure_rate.value);
    const outcomes = await page.$$eval('#outcomes a.items', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    expect(outcomes).toEqual((['TP', 'TN', 'FP', 'FN'] as const).filter((o) => sc.outcomes[o.toLowerCase()] > 0)
      .map((o) => [String(sc.outcomes[o.toLowerCase()]), `/scorecards/BR/items?model=${MODEL}&version=2&outcome=${o}`]));
    const bars = await page.$$eval('svg#signatures g.bar', (gs) => gs.map((g) => [(g as SVGGElement).dataset.code, (g as SVGGElement).dataset.count, g.querySelector('a')?.getAttribute('href')]));
    expect(bars).toEqual(sc.by_signature.map((s: any) => [s.code, String(s.count), `/scorecards/BR/items?model=${MODEL}&version=2&signature=${s.code}`]));

    // An item of that cell (the fixtures' first suppressed item of BR v2), opened by its URL.
    const slices = (await apiJson(w.url, `/v1/regions/BR/slices?model=${MODEL}&version=2`, { token: readKey })).data.slices;
    expect(slices.map((s: any) => [s.slice_id, s.items])).toEqual([['BR-2', sc.items]]);
    const it0 = (await apiJson(w.url, '/v1/regions/BR/slices/BR-2/items/0-0', { token: readKey })).data;
    expect(it0.primary).toBe('FUS.SUPPRESS.audio');
    await page.goto(`${w.url}/scorecards/BR/slices/BR-2/items/0-0`);
    const h1 = await page.$eval('h1', (h) => ({ ...(h as HTMLElement).dataset }));
    expect(h1).toMatchObject({ outcome: it0.outcome, primary: it0.primary });
    const sigs = await page.$$eval('table#signatures tbody tr', (rs) => rs.map((r) => [(r as HTMLElement).dataset.code, JSON.parse((r as HTMLElement).dataset.evidence!)]));
    expect(sigs).toEqual(it0.secondary.map((s: any) => [s.code, s.evidence]));
    const probes = await page.$$eval('table#probes td[data-probe]', (ts) => ts.filter((t) => (t as HTMLElement).dataset.value).map((t) => [(t as HTMLElement).dataset.probe, Number((t as HTMLElement).dataset.value)]));
    expect(Object.fromEntries(probes)).toEqual(it0.item.probes);
    await page.screenshot({ path: join(ARTIFACTS, 'evidence-item.png'), fullPage: true });
    // …and back to the region page by its link.
    await Promise.all([page.waitForURL(/\/scorecards\/BR\?model=/), page.getByRole('link', { name: /← BR/ }).click()]);
    expect(await page.$eval('h1', (h) => (h as HTMLElement).dataset.version)).toBe('2');
  });

  it('at 1400 px: no Verdict cell cut off, no bar label clipped', async () => {
    await page.goto(`${w.url}/scorecards/BR?model=${MODEL}&version=2`);
    await page.screenshot({ path: join(ARTIFACTS, 'evidence-region-1400.png'), fullPage: true });
    const view = await page.evaluate(() => ({ w: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth }));
    expect(view.scroll).toBeLessThanOrEqual(view.w); // nothing reaches past the window's right edge
    const verdicts = await page.$$eval('table#compare tbody td:last-child', (tds) => tds.map((td) => {
      const b = td.getBoundingClientRect();
      return { right: b.right, text: td.textContent, fits: td.scrollWidth <= td.clientWidth };
    }));
    expect(verdicts.length).toBeGreaterThan(0);
    for (const v of verdicts) {
      expect(v.right, v.text!).toBeLessThanOrEqual(view.w);
      expect(v.fits, v.text!).toBe(true);
    }
    const labels = await page.$$eval('svg#signatures text.value', (ts) => ts.map((t) => {
      const svg = (t as SVGTextElement).ownerSVGElement!;
      return { text: t.textContent, right: (t as SVGTextElement).getBBox().x + (t as SVGTextElement).getBBox().width, width: svg.viewBox.baseVal.width };
    }));
    for (const l of labels) expect(l.right, l.text!).toBeLessThanOrEqual(l.width);
    // The intervention page's verdicts: inside the window and not hidden in a scroll box.
    await page.goto(`${w.url}/scorecards/interventions/${recId}`);
    await page.screenshot({ path: join(ARTIFACTS, 'evidence-intervention-1400.png'), fullPage: true });
    const cut = await page.$$eval('td.verdict', (tds) => tds.map((td) => {
      const b = td.getBoundingClientRect();
      let clipRight = document.documentElement.clientWidth;
      for (let e = td.parentElement; e; e = e.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(e).overflowX)) clipRight = Math.min(clipRight, e.getBoundingClientRect().right);
      }
      return { text: td.textContent, right: b.right, clipRight, fits: td.scrollWidth <= td.clientWidth };
    }));
    expect(cut.length).toBeGreaterThan(0);
    for (const v of cut) {
      expect(v.right, `${v.text} ends at ${v.right}, visible up to ${v.clipRight}`).toBeLessThanOrEqual(v.clipRight + 0.5);
      expect(v.fits, v.text!).toBe(true);
    }
    // JP's chart: every bar too few.
    await page.goto(`${w.url}/scorecards/JP?model=${MODEL}&version=2`);
    const jp = await page.$$eval('svg#signatures text.value', (ts) => ts.map((t) => ({ text: t.textContent, right: (t as SVGTextElement).getBBox().x + (t as SVGTextElement).getBBox().width, width: (t as SVGTextElement).ownerSVGElement!.viewBox.baseVal.width })));
    expect(jp.length).toBeGreaterThan(0);
    for (const l of jp) expect(l.text).toContain('too few items');
    for (const l of jp) expect(l.right, l.text!).toBeLessThanOrEqual(l.width);
    await page.locator('figure:has(svg#signatures)').screenshot({ path: join(ARTIFACTS, 'evidence-chart-JP.png') });
  });

  it('at 1400 px the heatmap scrolls as a page (no inner box) and its header row stays in view', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    const rows = await page.locator('#heatmap tbody tr').count();
    expect(rows).toBe(5 + EXTRA.length);
    // No ancestor of the table clips it into a scroll box.
    const boxes = await page.$eval('#heatmap', (t) => {
      const out: string[] = [];
      for (let e = t.parentElement; e && e !== document.documentElement; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (/(auto|scroll|hidden)/.test(s.overflowY) || /(auto|scroll|hidden)/.test(s.overflowX)) out.push(`${e.tagName}.${e.className}`);
      }
      return out;
    });
    expect(boxes).toEqual([]);
    const tableBox = (await page.locator('#heatmap').boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(tableBox.height).toBeGreaterThan(viewport.height); // the page, not a box, holds every row
    // Scroll the window down to the middle of the table: the header row sits at the window's top.
    await page.evaluate((y) => window.scrollTo(0, y), tableBox.y + tableBox.height / 2);
    const head = (await page.locator('#heatmap thead th[data-sort="region"]').boundingBox())!;
    expect(head.y).toBeGreaterThanOrEqual(-0.5);
    expect(head.y).toBeLessThan(2);
    const lastRow = (await page.locator('#heatmap tbody tr').last().boundingBox())!;
    expect(lastRow.y).toBeGreaterThan(head.y + head.height - 1);
    // The header is on top: what the browser shows at the header's middle is the header.
    const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x, y)?.closest('thead'), [head.x + head.width / 2, head.y + head.height / 2]);
    expect(onTop).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'evidence-heatmap-scrolled.png') });
    // Sorting by a column through its header link.
    await Promise.all([page.waitForURL(/sort=failure_rate/), page.locator('#heatmap thead th[data-sort="failure_rate"] a').click()]);
    const values = await page.$$eval('#heatmap tbody td.fr', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });
});
