// Every slice discovery reports (SPEC §11) opens its items through its items_url: the items
// route's feature filters list exactly the slice's items, with total = the slice's n. The
// slice's items are computed here from what was submitted (plain property reads, nothing from
// taxonomy/), so the route and discovery must agree with an independent reading of each item.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, submit } from '../helpers.ts';
import { pick, rng, submitBySlice } from '../seeded-world.ts';
import { expectError } from '../reference.ts';
import { elements, page } from '../pages/html.ts';
import { waitFor, walk } from './world.ts';

const M = 'flt-http';
const VERSION = '1';
const model = { id: M, version: VERSION, stage: 'sft' };


interface Sent { region: string; slice: string; item: Record<string, any> }

/** One region's items: with `plant`, tier=new on short videos fails far more often; some items unlabelled
 *  (pending: outside discovery's population), languages in mixed case, attributes of every kind. */
function world(region: string, seed: number, n: number, plant: boolean): Sent[] {
  const r = rng(seed);
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    const creator_tier = pick(r, ['new', 'mid', 'old']);
    const surface = pick(r, ['vod', 'short']);
    const attributes: Record<string, unknown> = { creator_tier, cat: pick(r, ['music', 'news']), hd: r() < 0.5, dur: pick(r, [1, 2]) };
    if (r() < 0.1) delete attributes.cat;
    const hot = plant && creator_tier === 'new' && surface === 'short';
    const violating = r() < 0.5;
    const wrong = r() < (hot ? 0.6 : 0.1);
    // Scores kept off the band edges (0.2, 0.4, …) so the band read here needs no rounding rule.
    const score = (violating !== wrong) ? 0.61 + r() * 0.18 : 0.01 + r() * 0.18;
    const item: Record<string, any> = {
      item_id: `${region}-f${i}`, surface, language: pick(r, ['pt-BR', 'PT-pt', 'es', 'ar']),
      policy: pick(r, ['hate.slur', 'violence.graphic']), prediction: { score }, attributes,
    };
    if (r() >= 0.1) item.label = { violating, source: pick(r, ['internal', 'acme']), ...(r() < 0.5 ? { evidence: pick(r, [['audio'], ['visual', 'audio']]) } : {}) };
    // Raters 2:1 against a benign label on a high score: FP with LBL.AMBIG, excluded from discovery.
    if (item.label && r() < 0.05) {
      item.label = { violating: false, source: 'internal', votes: [true, true, false].map((v, k) => ({ annotator: `r${k}`, violating: v })) };
      item.prediction = { score: 0.71 };
    }
    out.push({ region, slice: `${region}-fs${i % 2}`, item });
  }
  return out;
}

/** The item's value of a discovery feature, read here: undefined when it has none. */
function valueOf(s: Sent, feature: string): string | undefined {
  const it = s.item;
  if (feature.startsWith('attr.')) {
    const v = it.attributes?.[feature.slice(5)];
    return v === undefined ? undefined : String(v);
  }
  switch (feature) {
    case 'region': return s.region;
    case 'policy': return it.policy;
    case 'surface': return it.surface;
    case 'language': return it.language.slice(0, 2).toLowerCase();
    case 'label_source': return it.label?.source;
    case 'score_band': return ['[0,0.2)', '[0.2,0.4)', '[0.4,0.6)', '[0.6,0.8)', '[0.8,1]'][Math.floor(it.prediction.score / 0.2)];
    case 'evidence': return it.label ? ([...(it.label.evidence ?? [])].sort().join('+') || 'none') : undefined;
    default: throw new Error(`no reading of ${feature}`);
  }
}

/** The slice's items: discovery's population (labelled, and not the LBL.AMBIG ones: those with votes here), every predicate held. */
const members = (sent: Sent[], predicates: Array<{ feature: string; value: string }>) =>
  sent.filter((s) => s.item.label && !s.item.label.votes && predicates.every((p) => valueOf(s, p.feature) === p.value))
    .map((s) => `${s.slice}/${s.item.item_id}`).sort();

const listed = (items: any[]) => items.map((x) => `${x.slice_id}/${x.item_id}`).sort();
const every = (slices: any[]) => slices.flatMap((s: any) => [s, ...s.folded]);

describe('items_url of every discovered slice', () => {
  const sent = [...world('BR', 21, 800, true), ...world('AR', 23, 500, false)];

  beforeAll(async () => {
    await submitBySlice(sent, model);
    for (const region of ['BR', 'AR']) {
      const want = sent.filter((s) => s.region === region).length;
      const r = await waitFor(() => api(`/v1/regions/${region}/items?model=${M}&version=${VERSION}&limit=1`), (x) => x.data?.total === want);
      expect(r.data.total).toBe(want);
    }
  }, 120_000);

  it('a region: each reported (and folded) slice\'s items_url lists exactly its items, total = n', async () => {
    const key = await createKey(['BR'], ['read']);
    const r = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}`, { token: key });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    const slices = every(r.data.slices);
    expect(slices.length).toBeGreaterThan(0);
    expect(slices.some((s: any) => s.predicates.some((p: any) => p.feature.startsWith('attr.')))).toBe(true);
    const br = sent.filter((s) => s.region === 'BR');
    for (const s of slices) {
      const { items, totals } = await walk(s.items_url, 1000, key);
      const want = members(br, s.predicates);
      expect(totals, s.items_url).toEqual([s.n]);
      expect(want.length, s.items_url).toBe(s.n);
      expect(listed(items), s.items_url).toEqual(want);
    }
  });

  it('the UNEXPLAINED discovery and the global route\'s slices with a region open the same way', async () => {
    const un = await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}&signature=UNEXPLAINED`);
    const global = await api(`/v1/discovery?model=${M}&version=${VERSION}`);
    expect(global.status).toBe(200);
    const linked = [...every(un.data.slices), ...every(global.data.slices).filter((s: any) => s.items_url !== null)];
    expect(every(global.data.slices).some((s: any) => s.items_url !== null)).toBe(true);
    for (const s of linked) {
      const region = s.predicates.find((p: any) => p.feature === 'region')?.value ?? 'BR';
      const { items, totals } = await walk(s.items_url, 1000);
      expect(totals, s.items_url).toEqual([s.n]);
      expect(listed(items), s.items_url).toEqual(members(sent.filter((x) => x.region === region), s.predicates));
    }
  });

  it('each filter alone, with the semantics of discovery: pt matches pt-BR and PT-pt; a missing attribute never matches', async () => {
    const br = sent.filter((s) => s.region === 'BR');
    const cases: Array<[string, (s: Sent) => boolean]> = [
      ['language=pt', (s) => /^pt-/i.test(s.item.language)],
      ['attr.cat=news', (s) => s.item.attributes.cat === 'news'],
      ['attr.hd=true', (s) => s.item.attributes.hd === true],
      ['attr.dur=2', (s) => s.item.attributes.dur === 2],
      ['evidence=none&label_source=acme', (s) => s.item.label?.source === 'acme' && !s.item.label.evidence],
      ['score_band=%5B0.6%2C0.8)&surface=short', (s) => s.item.prediction.score >= 0.6 && s.item.surface === 'short'],
    ];
    for (const [q, f] of cases) {
      const want = br.filter(f).map((s) => `${s.slice}/${s.item.item_id}`).sort();
      expect(want.length, q).toBeGreaterThan(0);
      const { items, totals } = await walk(`/v1/regions/BR/items?model=${M}&version=${VERSION}&${q}`, 1000);
      expect(totals, q).toEqual([want.length]);
      expect(listed(items), q).toEqual(want);
    }
    // The export applies them too.
    const csv = await api(`/v1/regions/BR/items?model=${M}&version=${VERSION}&attr.cat=news&format=csv`);
    expect(String(csv.data).trim().split('\n').length - 1).toBe(br.filter((s) => s.item.attributes.cat === 'news').length);
  });

  it('a bad filter is a 400 naming it', async () => {
    const base = `/v1/regions/BR/items?model=${M}&version=${VERSION}`;
    for (const [q, field] of [['score_band=high', 'score_band'], ['language=pt-BR', 'language'], [`attr.a=1&attr.b=1&attr.c=1&attr.d=1&attr.e=1`, 'attr.e'],
      ['attr.%22x=1', 'attr."x'], [`attr.cat=${'x'.repeat(129)}`, 'attr.cat']] as const) {
      const r = await api(`${base}&${q}`);
      expectError(r, 400);
      expect(r.data.error.message.startsWith(`${field}:`), r.data.error.message).toBe(true);
    }
  });

  it('the region page links each slice to the items PAGE, which shows the slice\'s total', async () => {
    const d = (await api(`/v1/regions/BR/discovery?model=${M}&version=${VERSION}`)).data;
    const html = (await page(`/scorecards/BR?model=${M}&version=${VERSION}`)).data as string;
    const links = await elements(html, '#discovery tr[data-slice] a');
    expect(links.length).toBe(Math.min(5, d.slices.length));
    for (const [i, a] of links.entries()) {
      const s = d.slices[i];
      const u = new URL(a.href, 'http://x');
      expect(u.pathname).toBe('/scorecards/BR/items');
      expect(Object.fromEntries(u.searchParams)).toEqual(Object.fromEntries(new URL(s.items_url, 'http://x').searchParams));
      const items = (await page(a.href)).data as string;
      expect((await elements(items, '#items-total'))[0]['data-total']).toBe(String(s.n));
    }
  });
});
