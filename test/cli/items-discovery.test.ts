// `avlm-diag items` and `avlm-diag discovery` run as child processes against the Worker over
// HTTP: --json prints the API's answer as it is; --export streams the route's CSV/NDJSON byte for
// byte; --filter carries a discovery feature; the text forms one line per item or slice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, apiJson, type RunningWorker } from '../pages/worker.ts';
import { runCli, startWorker } from './worker.ts';

let w: RunningWorker;
const MODEL = { id: 'cli-ev', version: '1', stage: 'sft' };
const Q = `model=${MODEL.id}&version=${MODEL.version}`;
// 400 items; creators with tier 'new' on short videos fail far more often.
const items = Array.from({ length: 400 }, (_, i) => {
  const tier = i % 4 === 0 ? 'new' : 'established';
  const surface = i % 2 === 0 ? 'short' : 'vod';
  const fails = tier === 'new' && surface === 'short' ? i % 8 !== 4 || i % 3 === 0 : i % 10 === 0;
  return { item_id: `it${String(i).padStart(3, '0')}`, surface, policy: 'hate.slur', language: 'ar', attributes: { creator_tier: tier },
    label: { violating: true }, prediction: { score: fails ? 0.1 : 0.9 } };
});

async function raw(path: string): Promise<string> {
  const r = await fetch(w.url + path, { headers: { authorization: `Bearer ${ADMIN}` } });
  return r.text();
}

beforeAll(async () => {
  w = await startWorker('cli-items', { PARTITION_SYNC_DELAY_SECONDS: '0' });
  const r = await apiJson(w.url, '/v1/regions/EG/slices', { method: 'POST', body: { slice_id: 'eg-1', model: MODEL, items } });
  if (r.status !== 201) throw new Error(`${r.status} ${JSON.stringify(r.data)}`);
  // The item partition follows the commit through the queue.
  for (let t = 0; t < 200; t++) {
    if ((await apiJson(w.url, `/v1/regions/EG/items?${Q}&limit=1`)).data?.total === items.length) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the item partition never caught up');
});

afterAll(async () => { await w?.close(); });

const env = { AVLM_URL: () => w.url, AVLM_KEY: ADMIN };
const run = (args: string[]) => runCli(args, { AVLM_URL: env.AVLM_URL(), AVLM_KEY: env.AVLM_KEY });

describe('avlm-diag items and discovery', () => {
  it('items: a page as the API gives it, and the exports byte for byte', async () => {
    const base = ['items', '--region', 'EG', '--model', MODEL.id, '--version', MODEL.version, '--outcome', 'FN'];
    const page = await run([...base, '--limit', '7', '--json']);
    expect(page.code, page.stderr).toBe(0);
    const api = (await apiJson(w.url, `/v1/regions/EG/items?${Q}&outcome=FN&limit=7`)).data;
    expect(JSON.parse(page.stdout)).toEqual(api);
    expect(api.total).toBe(items.filter((i) => i.prediction.score < 0.5).length);
    for (const format of ['csv', 'ndjson']) {
      const out = await run([...base, '--export', format]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe(await raw(`/v1/regions/EG/items?${Q}&outcome=FN&format=${format}`));
    }
    expect((await run([...base, '--export', 'csv'])).stdout.trim().split('\n')).toHaveLength(api.total + 1);
    const text = await run([...base, '--limit', '2']);
    expect(text.stdout.split('\n')[0]).toBe(`${api.total} items in this cell (2 on this page)`);
    expect(text.stdout).toMatch(/more: --cursor \S+/);
  });

  it('items --filter narrows to a discovered slice; a bad one is a usage error', async () => {
    const r = await run(['items', '--region', 'EG', '--model', MODEL.id, '--version', MODEL.version, '--filter', 'attr.creator_tier=new', '--filter', 'surface=short', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).total).toBe(items.filter((i) => i.attributes.creator_tier === 'new' && i.surface === 'short').length);
    const bad = await run(['items', '--region', 'EG', '--model', MODEL.id, '--version', MODEL.version, '--filter', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--filter: feature=value/);
  });

  it('discovery: the region route and the global one as the API gives them; the text lists the top slice first', async () => {
    const region = await run(['discovery', '--region', 'EG', '--model', MODEL.id, '--version', MODEL.version, '--json']);
    expect(region.code, region.stderr).toBe(0);
    const api = (await apiJson(w.url, `/v1/regions/EG/discovery?${Q}`)).data;
    expect(JSON.parse(region.stdout)).toEqual(api);
    expect(api.slices.length).toBeGreaterThan(0);
    const global = await run(['discovery', '--model', MODEL.id, '--version', MODEL.version, '--json']);
    expect(JSON.parse(global.stdout)).toEqual((await apiJson(w.url, `/v1/discovery?${Q}`)).data);
    const text = (await run(['discovery', '--region', 'EG', '--model', MODEL.id, '--version', MODEL.version])).stdout.split('\n');
    expect(text[0]).toBe(`${api.population.n} items, ${api.population.errors} errors; ${api.evaluated} slices evaluated, ${api.slices.length} reported`);
    const top = api.slices[0].predicates.map((p: { feature: string; value: string }) => `${p.feature}=${p.value}`).join(' & ');
    expect(text[1].trim().startsWith(top)).toBe(true);
    const noRegion = await run(['discovery', '--model', MODEL.id, '--version', MODEL.version, '--policy', 'hate.slur']);
    expect(noRegion.code).toBe(2);
  });
});
