// Closing the loop in a real browser (Debian chromium via playwright-core) against the Worker
// served over HTTP: an intervention page's verdicts and numbers equal
// GET /v1/interventions/{id}/attribution, the link from the region page leads there, the login
// cookie (path /scorecards) covers it, and screenshots land in test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiJson, ARTIFACTS, CHROMIUM, HAVE_CHROMIUM, launchChromium, num, readKeys, startWorker, type RunningWorker } from './worker.ts';
import { MODEL, submitFixtures } from './fixtures.ts';

const TEXT: Record<string, string> = { effective: '▼ effective', no_effect: 'no effect', harmful: '▲ harmful', too_few: 'too few items', improved: '▼ improved', regressed: '▲ regressed' };

describe.skipIf(!HAVE_CHROMIUM)('intervention pages in a real browser', () => {
  let w: RunningWorker;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let readKey = '';
  let brKey = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await startWorker('pages-dist-interventions');
    await submitFixtures(w.url);
    // The fixtures (fixtures.ts): BR FUS.SUPPRESS.audio 24 → 8 (v1 → v2), IN 30 → 18, JP only in v2
    // (3 of 20: too few), MX THR.MARGIN 10 → 16, DE and IN shortcuts, formats.
    const rec = async (name: string, body: Record<string, unknown>) => {
      const r = await apiJson(w.url, '/v1/interventions', { method: 'POST', body: { applied_at: '2026-11-01T00:00:00Z', model: { id: MODEL, version: '2' }, ...body } });
      if (r.status !== 201) throw new Error(`record ${name}: ${r.status} ${JSON.stringify(r.data)}`);
      ids[name] = r.data.id;
    };
    await rec('dropout', { intervention: 'TRAIN.MODALITY_DROPOUT', targets: { signatures: ['FUS.SUPPRESS'], regions: ['BR', 'IN', 'JP'] }, note: 'modality dropout 0.3 in the fusion layer' });
    await rec('threshold', { intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['MX'] }, note: 'per-region threshold' });
    ({ readKey, brKey } = await readKeys(w.url));
    ({ browser, ctx, page } = await launchChromium(CHROMIUM));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('signs in from the intervention page itself and comes back to it', async () => {
    const res = await page.goto(`${w.url}/scorecards/interventions/${ids.dropout}`);
    expect(res!.status()).toBe(401);
    await page.getByLabel('API key', { exact: true }).fill(readKey);
    // The 401 page has the same URL as the page we come back to: wait for the 200 itself.
    const back = page.waitForResponse((r) => r.url() === `${w.url}/scorecards/interventions/${ids.dropout}` && r.request().method() === 'GET' && r.status() === 200);
    await Promise.all([back, page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.locator('table#targeted').waitFor();
    expect(await page.locator('table#targeted').count()).toBe(1);
  });

  it('follows the link from the region page to the intervention page, whose verdicts and numbers equal the JSON attribution', async () => {
    await page.goto(`${w.url}/scorecards/BR?model=${MODEL}&version=2`);
    const section = page.locator('#region-interventions');
    expect(await section.locator(':scope > li').count()).toBe(1); // the threshold record targets MX only
    expect(await section.locator('li li').first().textContent()).toContain('effective');
    await page.locator('#interventions-h').scrollIntoViewIfNeeded();
    await section.screenshot({ path: join(ARTIFACTS, 'pages-region-BR-interventions.png') });
    await Promise.all([page.waitForURL(/\/scorecards\/interventions\/int_/), section.getByRole('link', { name: /TRAIN\.MODALITY_DROPOUT/ }).click()]);
    expect(new URL(page.url()).pathname).toBe(`/scorecards/interventions/${ids.dropout}`);

    const json = (await apiJson(w.url, `/v1/interventions/${ids.dropout}/attribution`, { token: readKey })).data;
    const rows = await page.$$eval('table#targeted tbody tr', (rs) => rs.map((r): Record<string, string | null | undefined> => ({ ...(r as HTMLElement).dataset, verdictText: r.querySelector('td[class^="v-"]')!.textContent })));
    expect(rows.map((r) => [r.region, r.signature, r.verdict, num(r.beforeCount), num(r.beforeN), num(r.afterCount), num(r.afterN), num(r.diff), num(r.diffLow), num(r.diffHigh), num(r.p), num(r.q), num(r.recovered)]))
      .toEqual(json.targeted.map((c: any) => [c.region, c.signature, c.verdict, c.before.count, c.before.n, c.after.count, c.after.n, c.diff?.value ?? null, c.diff?.low ?? null, c.diff?.high ?? null, c.p, c.q, c.recovered]));
    expect(rows.map((r) => r.verdictText)).toEqual(json.targeted.map((c: any) => TEXT[c.verdict]));
    const verdicts = Object.fromEntries(json.targeted.map((c: any) => [c.region, c.verdict]));
    expect(verdicts).toMatchObject({ BR: 'effective', JP: 'too_few' });
    const kpis = await page.$$eval('#summary .kpi', (ks) => ks.map((k) => ({ ...(k as HTMLElement).dataset })));
    const kv = Object.fromEntries(kpis.map((k) => [k.metric, k.value]));
    expect([num(kv.recovered), num(kv.overall_gain), num(kv.attributable_share)]).toEqual([json.summary.recovered, json.summary.overall_gain, json.summary.attributable_share]);
    expect(kv.weakly_attributable).toBe(String(json.summary.weakly_attributable));
    const coll = await page.$$eval('table#collateral tbody tr', (rs) => rs.map((r) => ({ ...(r as HTMLElement).dataset })));
    expect(coll.map((c) => [c.region, c.signature, c.verdict, num(c.q)])).toEqual(json.collateral.map((c: any) => [c.region, c.signature, c.verdict, c.q]));
    // Verdicts are words, not colour alone; no script on the page.
    expect(await page.getByRole('cell', { name: '▼ effective' }).count()).toBeGreaterThan(0);
    expect(await page.locator('script').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-intervention.png'), fullPage: true });
  });

  it('shows a 403 to a region key for an intervention outside its regions', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    const ok = await p.goto(`${w.url}/scorecards/interventions/${ids.dropout}?key=${encodeURIComponent(brKey)}`);
    expect(ok!.status()).toBe(200);
    expect(new URL(p.url()).search).toBe('');
    const res = await p.goto(`${w.url}/scorecards/interventions/${ids.threshold}`);
    expect(res!.status()).toBe(403);
    expect(await p.textContent('main')).toContain('not scoped to any region this intervention targets');
    await other.close();
  });
});
