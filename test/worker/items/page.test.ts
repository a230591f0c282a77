// The items page (/scorecards/{region}/items): the same cell as the API — its total, its items
// page by page through the next links (each linking to its item page), the CSV link — with the
// query names the heatmap and region page link with; a bad filter is a 400 page.
import { describe, it, expect, beforeAll } from 'vitest';
import { api } from '../helpers.ts';
import { elements, page, texts } from '../pages/html.ts';
import { inOrder, submitWorld, waitFor, type Expected } from './world.ts';

const MODEL = { id: 'itp', version: '2', stage: 'sft' };
const R = 'NG';
let all: Expected[] = [];

beforeAll(async () => {
  all = inOrder([await submitWorld(R, 'p-one', MODEL, 131)]);
  await waitFor(() => api(`/v1/regions/${R}/items?model=itp&version=2&limit=1`), (x) => x.data?.total === all.length);
});

describe('items page', () => {
  it('shows the total and every item of the cell across its pages (next links), each linking to its item page', async () => {
    const cell = 'policy=hate.slur&outcome=TN';
    const want = all.filter((e) => e.policy === 'hate.slur' && e.outcome === 'TN');
    let path: string | null = `/scorecards/${R}/items?model=itp&version=2`;
    const seen: string[] = [];
    for (let n = 0; path && n < 10; n++) {
      const r = await page(path);
      expect(r.status).toBe(200);
      const [total] = await elements(r.data, '#items-total');
      expect(Number(total['data-total'])).toBe(all.length);
      const rows = await elements(r.data, 'tr[data-item]');
      seen.push(...rows.map((x) => `${x['data-slice']}/${x['data-item']}`));
      const links = await elements(r.data, 'tr[data-item] th a');
      expect(links.map((l) => l.href)).toEqual(rows.map((x) => `/scorecards/${R}/slices/${encodeURIComponent(x['data-slice'])}/items/${encodeURIComponent(x['data-item'])}`));
      path = (await elements(r.data, '#items-next'))[0]?.href ?? null;
    }
    expect(seen).toEqual(all.map((e) => `${e.slice_id}/${e.item_id}`));
    const r = await page(`/scorecards/${R}/items?model=itp&version=2&${cell}`);
    expect(Number((await elements(r.data, '#items-total'))[0]['data-total'])).toBe(want.length);
    expect((await elements(r.data, 'tr[data-item]')).map((x) => x['data-item'])).toEqual(want.map((e) => e.item_id));
    expect((await elements(r.data, 'select[name=outcome] option[selected]'))[0].value).toBe('TN');
    // The CSV link (same filters) downloads what the API exports.
    const csvHref = (await elements(r.data, '#items-csv'))[0].href;
    expect(csvHref).toContain('policy=hate.slur');
    const csv = await page(csvHref);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.data).toBe((await api(`/v1/regions/${R}/items?model=itp&version=2&${cell}&format=csv`)).data);
    expect((csv.data as string).trim().split('\n').length).toBe(want.length + 1);
  });

  it('a bad filter is a 400 page naming it', async () => {
    const r = await page(`/scorecards/${R}/items?model=itp&version=2&signature=NOPE`);
    expect(r.status).toBe(400);
    expect((await texts(r.data, 'main')).join(' ')).toContain('signature');
  });
});
