// Figures shown to people are rounded (issue 17): no page text carries a float's noise such as
// 1.0000000000000004 — raw values stay in data- attributes and in the JSON.
import { describe, it, expect, beforeAll } from 'vitest';
import { seedAttributionWorld } from '../attribution-world.ts';
import { page } from './html.ts';

const M = 'pground';
let ids: Record<string, string>;

/** The page's visible text: tags (and so attributes), styles and entities dropped. */
const visible = (html: string) => html.replace(/<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ');

describe('figures on pages are rounded', () => {
  beforeAll(async () => { ids = await seedAttributionWorld(M); });

  it('no number with more than four decimals in the text of the intervention, region, global and gate pages', async () => {
    const paths = [
      ...Object.values(ids).map((id) => `/scorecards/interventions/${id}`),
      `/scorecards/interventions?model=${M}`, `/scorecards/BR?model=${M}&version=2`, `/scorecards/CO?model=${M}&version=2`,
      `/scorecards?model=${M}&version=2`, `/scorecards/gate?model=${M}&version=2`,
    ];
    for (const path of paths) {
      const r = await page(path);
      expect(r.status, path).toBe(200);
      expect(visible(r.data).match(/\d\.\d{5,}/g), path).toBeNull();
    }
  });
});
