// The release gate page (GET /scorecards/gate): the region table equals the JSON gate, failing
// cells link to their items, a region key sees only its regions, a first version asks for a
// baseline, and the global page links to it.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';
import { elements, num, page, texts } from './html.ts';

const M = 'pggate';
const tn = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.1 } });
const sup = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const slice = (k: number, n: number) => [...Array.from({ length: k }, (_, i) => sup(`s${i}`)), ...Array.from({ length: n - k }, (_, i) => tn(`t${i}`))];

describe('release gate page', () => {
  beforeAll(async () => {
    // v1 → v2: BR regresses, MX stays, CO has too few items in v1.
    const plan: Array<[string, string, number, number]> = [['BR', '1', 5, 200], ['MX', '1', 10, 200], ['CO', '1', 1, 20], ['BR', '2', 40, 200], ['MX', '2', 10, 200], ['CO', '2', 3, 100]];
    for (const [region, version, k, n] of plan) {
      const r = await submit(region, { slice_id: `${M}-${region}-${version}`, model: { id: M, version, stage: 'sft' }, items: slice(k, n) });
      expect(r.status).toBe(201);
    }
  });

  it('shows every region with the JSON gate\'s verdict and numbers, failing first, cells linked to their items', async () => {
    const json = (await api(`/v1/models/${M}/versions/2/gate`)).data;
    const r = await page(`/scorecards/gate?model=${M}&version=2`);
    expect(r.status).toBe(200);
    const [h1] = await elements(r.data, 'h1');
    expect(h1).toMatchObject({ 'data-model': M, 'data-version': '2', 'data-baseline': '1', 'data-pass': 'false' });
    const rows = await elements(r.data, '#gate tbody tr');
    expect(rows.map((x) => x['data-region'])).toEqual(['BR', 'CO', 'MX']);
    for (const row of rows) {
      const g = json.regions.find((x: any) => x.region === row['data-region']);
      expect([row['data-verdict'], num(row['data-n-baseline']), num(row['data-n-version'])]).toEqual([g.verdict, g.n.baseline, g.n.version]);
    }
    const cells = await elements(r.data, '#gate tr[data-region="BR"] li');
    const br = json.regions.find((x: any) => x.region === 'BR');
    expect(br.regressed.length).toBe(2);
    expect(cells.map((c) => [c['data-policy'], c['data-signature'], num(c['data-q'])])).toEqual(br.regressed.map((c: any) => [c.policy, c.signature, c.q]));
    const links = (await elements(r.data, '#gate tr[data-region="BR"] li a')).map((a) => a.href);
    expect(links).toEqual([
      `/scorecards/BR/items?model=${M}&version=2&policy=hate.slur`,
      `/scorecards/BR/items?model=${M}&version=2&policy=hate.slur&signature=FUS.SUPPRESS.audio`,
    ]);
    expect((await texts(r.data, '#gate-verdict'))[0]).toMatch(/^FAIL — 1 region fail, 1 pass, 1 without enough data/);
  });

  it('a region key sees only its regions, with the verdict over them', async () => {
    const mx = await createKey(['MX'], ['read']);
    const r = await page(`/scorecards/gate?model=${M}&version=2`, { token: mx });
    expect(r.status).toBe(200);
    expect((await elements(r.data, '#gate tbody tr')).map((x) => x['data-region'])).toEqual(['MX']);
    expect((await elements(r.data, 'h1'))[0]['data-pass']).toBe('true');
    expect(r.data).not.toMatch(/\bBR\b/);
  });

  it('a first version asks for a baseline; an explicit one works; an unknown version is 404', async () => {
    const first = await page(`/scorecards/gate?model=${M}&version=1`);
    expect(first.status).toBe(200);
    expect(await texts(first.data, '#no-baseline')).toHaveLength(1);
    const back = await page(`/scorecards/gate?model=${M}&version=1&baseline=2`);
    expect((await elements(back.data, 'h1'))[0]).toMatchObject({ 'data-baseline': '2' });
    expect((await page(`/scorecards/gate?model=${M}&version=9`)).status).toBe(404);
  });

  it('is linked from the global page', async () => {
    const r = await page(`/scorecards?model=${M}&version=2`);
    expect((await elements(r.data, '#gate-link'))[0].href).toBe(`/scorecards/gate?model=${M}&version=2`);
  });
});
