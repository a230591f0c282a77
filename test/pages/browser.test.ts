// The pages in a real browser (Debian chromium via playwright-core) against the Worker served
// over HTTP: login, the heatmap and its filter form (no JavaScript on the page), links to the
// region page, numbers equal to the JSON API's, keyboard focus, and screenshots for a person
// to look at in test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiJson, ARTIFACTS, CHROMIUM, HAVE_CHROMIUM, launchChromium, num, readKeys, startWorker, type RunningWorker } from './worker.ts';
import { MODEL, REGIONS, submitFixtures } from './fixtures.ts';

if (!HAVE_CHROMIUM) {
  console.warn(`[pages] SKIPPED the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);
}


describe.skipIf(!HAVE_CHROMIUM)('pages in a real browser', () => {
  let w: RunningWorker;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let readKey = '';
  let brKey = '';
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await startWorker('pages-dist-browser');
    await submitFixtures(w.url);
    ({ readKey, brKey } = await readKeys(w.url));
    ({ browser, ctx, page } = await launchChromium(CHROMIUM));
    page.on('request', (r) => requests.push(r.url()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('asks for a key, signs in with the form, and keeps the key in an HttpOnly SameSite=Strict cookie', async () => {
    const res = await page.goto(`${w.url}/scorecards`);
    expect(res!.status()).toBe(401);
    expect(await page.getByRole('textbox', { name: 'API key' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-login.png'), fullPage: true });
    await page.getByLabel('API key', { exact: true }).fill(readKey);
    await Promise.all([page.waitForURL(`${w.url}/scorecards`), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.locator('#heatmap').count()).toBe(1);
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === 'avlm_key')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/scorecards' });
    expect(await page.content()).not.toContain(readKey);
  });

  it('shows the heatmap of every region with the JSON API\'s rates, a legend and too-few cells', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    const rows = await page.$$eval('#heatmap tbody tr', (rs) => rs.map((r) => (r as HTMLElement).dataset.region));
    expect(rows).toEqual(REGIONS);
    for (const region of REGIONS) {
      const sc = (await apiJson(w.url, `/v1/regions/${region}/scorecard?model=${MODEL}&version=2`, { token: readKey })).data;
      const cells = await page.$$eval(`#heatmap tbody tr[data-region="${region}"] td[data-code]`,
        (tds) => tds.map((td) => ({ ...(td as HTMLElement).dataset, text: td.textContent }) as Record<string, string | undefined>));
      for (const s of sc.by_signature) {
        const c = cells.find((x) => x.code === s.code)!;
        expect([num(c.count), num(c.value), num(c.low), num(c.high), num(c.n)]).toEqual([s.count, s.rate.value, s.rate.low, s.rate.high, s.rate.n]);
        if (s.rate.too_few) expect(c.text).toContain('too few');
      }
      const fr = await page.$eval(`#heatmap tbody tr[data-region="${region}"] td.fr`, (td) => (td as HTMLElement).dataset.value);
      expect(num(fr)).toBe(sc.failure_rate.value);
    }
    expect(await page.locator('#legend li').count()).toBe(7);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-heatmap.png'), fullPage: true });
  });

  it('reaches the first region link with Tab, with a visible focus ring', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    let presses = 0;
    let onFirst = false;
    while (presses < 25 && !onFirst) {
      await page.keyboard.press('Tab');
      presses++;
      onFirst = await page.evaluate(() => document.activeElement === document.querySelector('#heatmap tbody tr th a'));
    }
    expect(onFirst, `first region link not reached after ${presses} Tab presses`).toBe(true);
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
    console.log(`[pages] Tab presses to the first region link: ${presses}`);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-heatmap-focus.png') });
  });

  it('changes the version and policy with the GET form (no JavaScript on the page)', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    expect(await page.locator('script').count()).toBe(0);
    await page.getByLabel(`Version of ${MODEL}`, { exact: true }).selectOption('1');
    await page.getByLabel('Policy', { exact: true }).selectOption('hate.slur');
    await Promise.all([page.waitForURL(/version=1/), page.getByRole('button', { name: 'Show' }).click()]);
    const h1 = await page.$eval('h1', (h) => ({ ...(h as HTMLElement).dataset }));
    expect(h1).toMatchObject({ model: MODEL, version: '1', policy: 'hate.slur' });
    const rows = await page.$$eval('#heatmap tbody tr', (rs) => rs.map((r) => (r as HTMLElement).dataset.region));
    expect(rows).toEqual(['BR', 'DE', 'IN']); // v1, hate.slur: JP has no v1 slice, MX no hate.slur
    const sc = (await apiJson(w.url, `/v1/regions/IN/scorecard?model=${MODEL}&version=1`, { token: readKey })).data;
    const pol = sc.by_policy.find((p: any) => p.policy === 'hate.slur');
    const fr = await page.$eval('#heatmap tbody tr[data-region="IN"] td.fr', (td) => (td as HTMLElement).dataset.value);
    expect(num(fr)).toBe(pol.failure_rate.value);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-heatmap-v1-hate.png'), fullPage: true });
  });

  it('follows a region link to the region page, whose numbers equal the JSON API\'s', async () => {
    await page.goto(`${w.url}/scorecards?model=${MODEL}&version=2`);
    await Promise.all([page.waitForURL(/\/scorecards\/BR\?/), page.locator('#heatmap tbody tr[data-region="BR"] th a').click()]);
    expect(new URL(page.url()).search).toBe(`?model=${MODEL}&version=2`);
    const sc = (await apiJson(w.url, `/v1/regions/BR/scorecard?model=${MODEL}&version=2`, { token: readKey })).data;
    const fr = await page.$eval('#failure-rate', (d) => ({ ...(d as HTMLElement).dataset }));
    expect({ value: num(fr.value), low: num(fr.low), high: num(fr.high), n: num(fr.n), too_few: fr.tooFew === 'true' }).toEqual(sc.failure_rate);
    const bars = await page.$$eval('svg#signatures g.bar', (gs) => gs.map((g) => ({ ...(g as SVGGElement).dataset }) as Record<string, string | undefined>));
    expect(bars.map((b) => [b.code, num(b.count), num(b.value), num(b.low), num(b.high)]))
      .toEqual(sc.by_signature.map((s: any) => [s.code, s.count, s.rate.value, s.rate.low, s.rate.high]));
    // the accessible name of each bar carries code, count and rate
    const names = await page.$$eval('svg#signatures g.bar', (gs) => gs.map((g) => g.getAttribute('aria-label')));
    for (const [i, s] of sc.by_signature.entries()) expect(names[i]).toContain(`${s.code}: ${s.count} failures`);
    const recs = await page.$$eval('li[data-intervention]', (ls) => ls.map((l) => (l as HTMLElement).dataset.intervention));
    expect(recs).toEqual(sc.recommendations.map((r: any) => r.intervention));
    const cmp = (await apiJson(w.url, `/v1/regions/BR/compare?model=${MODEL}&from=1&to=2`, { token: readKey })).data;
    const cells = await page.$$eval('table#compare tbody tr', (rs) => rs.map((r) => ({ ...(r as HTMLElement).dataset })));
    expect(cells.map((c) => [c.policy, c.signature, c.verdict, num(c.q)])).toEqual(cmp.cells.map((c: any) => [c.policy, c.signature, c.verdict, c.q]));
    await page.screenshot({ path: join(ARTIFACTS, 'pages-region-BR.png'), fullPage: true });
    await page.locator('figure:has(svg#signatures)').screenshot({ path: join(ARTIFACTS, 'pages-region-BR-chart.png') });
  });

  it('shows a 403 page to a region key outside its regions, and loads nothing from elsewhere', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    const first = await p.goto(`${w.url}/scorecards/BR?key=${encodeURIComponent(brKey)}`);
    expect(first!.status()).toBe(200);
    expect(new URL(p.url()).search).toBe(''); // the key left the address bar
    const res = await p.goto(`${w.url}/scorecards/IN`);
    expect(res!.status()).toBe(403);
    expect(await p.textContent('main')).toContain('not scoped to region IN');
    await p.screenshot({ path: join(ARTIFACTS, 'pages-403.png') });
    await other.close();
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(w.url))).toEqual([]);
  });
});
