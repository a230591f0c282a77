// `avlm-diag models` and `avlm-diag slices` run as child processes against the Worker over
// HTTP: --json prints the API's answer as it is (every page joined for slices without --limit),
// the text form one line per version or slice, and a region key sees only its regions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiJson, type RunningWorker } from '../pages/worker.ts';
import { runCli, startWorker } from './worker.ts';

const ADMIN = 'pages-admin-token';
let w: RunningWorker;
let brKey = '';
const item = (id: string, failing: boolean) => ({ item_id: id, surface: 'vod', policy: 'hate.slur', label: { violating: failing }, prediction: { score: 0.1 } });
// BR: 5 slices of cli-m 1 and one of 2; AR: one of cli-m 1.
const SLICES: Array<[string, string, string, number]> = [
  ['BR', 'b1', '1', 12], ['BR', 'b2', '1', 7], ['BR', 'b3', '1', 9], ['BR', 'b4', '1', 3], ['BR', 'b5', '1', 5], ['BR', 'b6', '2', 11], ['AR', 'a1', '1', 30],
];

beforeAll(async () => {
  w = await startWorker('cli-evidence', {});
  for (const [region, id, version, n] of SLICES) {
    const items = Array.from({ length: n }, (_, i) => item(`i${i}`, i % 4 === 0));
    const r = await apiJson(w.url, `/v1/regions/${region}/slices`, { method: 'POST', body: { slice_id: id, model: { id: 'cli-m', version, stage: version === '1' ? 'sft' : 'alignment' }, items } });
    if (r.status !== 201) throw new Error(`${id}: ${r.status} ${JSON.stringify(r.data)}`);
  }
  brKey = (await apiJson(w.url, '/v1/admin/keys', { method: 'POST', body: { regions: ['BR'], scopes: ['read'] } })).data.key;
});

afterAll(async () => { await w?.close(); });

const env = (key = ADMIN) => ({ AVLM_URL: w.url, AVLM_KEY: key });

describe('avlm-diag models and slices', () => {
  it('models prints GET /v1/models (a region key: its regions only)', async () => {
    for (const key of [ADMIN, brKey]) {
      const r = await runCli(['models', '--json'], env(key));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual((await apiJson(w.url, '/v1/models', { token: key })).data);
    }
    const br = JSON.parse((await runCli(['models', '--json'], env(brKey))).stdout);
    expect(br.models[0].versions.map((v: any) => [v.version, v.regions, v.items])).toEqual([['2', 1, 11], ['1', 1, 12 + 7 + 9 + 3 + 5]]);
    const text = await runCli(['models'], env());
    expect(text.stdout.trim().split('\n')).toEqual([
      'cli-m',
      expect.stringMatching(/^ {2}2 +alignment +first slice \S+ +1 regions +11 items$/),
      expect.stringMatching(/^ {2}1 +sft +first slice \S+ +2 regions +66 items$/),
    ]);
  });

  it('slices walks every page without --limit, one page with --limit and --cursor', async () => {
    const api = (await apiJson(w.url, '/v1/regions/BR/slices', { token: brKey })).data;
    expect(api.slices).toHaveLength(6);
    const all = await runCli(['slices', '--region', 'BR', '--json'], env(brKey));
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual(api);
    const one = JSON.parse((await runCli(['slices', '--region', 'BR', '--limit', '4', '--json'], env(brKey))).stdout);
    expect(one.slices).toEqual(api.slices.slice(0, 4));
    const rest = JSON.parse((await runCli(['slices', '--region', 'BR', '--limit', '4', '--cursor', one.next_cursor, '--json'], env(brKey))).stdout);
    expect(rest).toEqual({ slices: api.slices.slice(4), next_cursor: null });
    const v2 = JSON.parse((await runCli(['slices', '--region', 'BR', '--model', 'cli-m', '--version', '2', '--json'], env(brKey))).stdout);
    expect(v2.slices.map((s: any) => s.slice_id)).toEqual(['b6']);
    const text = await runCli(['slices', '--region', 'BR', '--limit', '2'], env(brKey));
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${api.slices[0].slice_id} +cli-m ${api.slices[0].model.version} .* complete +${api.slices[0].items} items, ${api.slices[0].failures} failures`));
    expect(lines[2]).toMatch(/^more: --cursor \S+$/);
  });

  it('refuses a bad --limit before calling, and passes the server\'s 403 and 400 on', async () => {
    const bad = await runCli(['slices', '--region', 'BR', '--limit', '0'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit');
    const other = await runCli(['slices', '--region', 'AR'], env(brKey));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/avlm-diag: 403 /);
    const noModel = await runCli(['slices', '--region', 'BR', '--version', '1'], env());
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toContain('version: only used together with model');
  });
});
