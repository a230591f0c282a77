// The avlm-diag CLI run as a child process against the Worker over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiJson, type RunningWorker } from '../pages/worker.ts';
import { makeItems, writeCsv, writeNdjson, writeParquet, type Item } from './fixtures.ts';
import { runCli, startProxy, startWorker } from './worker.ts';

const N = 3000;
const MODEL = ['--model', 'avlm-cli', '--stage', 'alignment'];
let w: RunningWorker;
let dir: string;
let key: string;
let items: Item[];

beforeAll(async () => {
  // 3,000 items are ~0.8 MB of NDJSON: above STREAM_INGEST_BYTES here, so they take the queue
  // path (202, the CLI polls); the 1,000-item slices stay below it (streamed, 201).
  w = await startWorker('cli', { ASYNC_INGEST_BYTES: '100000', STREAM_INGEST_BYTES: '400000' });
  dir = mkdtempSync(join(tmpdir(), 'avlm-cli-'));
  items = makeItems(N);
  writeNdjson(join(dir, 'items.ndjson'), items);
  writeCsv(join(dir, 'items.csv'), items);
  writeParquet(join(dir, 'items.parquet'), items);
  const created = await runCli(['keys', 'create', '--regions', 'BR', '--scopes', 'submit,read', '--json'], { AVLM_URL: w.url, AVLM_KEY: 'pages-admin-token' });
  expect(created.code, created.stderr).toBe(0);
  key = JSON.parse(created.stdout).key;
});

afterAll(async () => {
  await w?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ AVLM_URL: w.url, AVLM_KEY: key });
const slice = async (id: string) => (await apiJson(w.url, `/v1/regions/BR/slices/${id}`, { token: key })).data;
const item = async (sliceId: string, itemId: string) => (await apiJson(w.url, `/v1/regions/BR/slices/${sliceId}/items/${itemId}`, { token: key })).data;

describe('avlm-diag submit', () => {
  it('gives the same slice from CSV, Parquet and NDJSON', async () => {
    const summaries: Record<string, any> = {};
    for (const ext of ['ndjson', 'csv', 'parquet']) {
      const r = await runCli(['submit', '--region', 'BR', ...MODEL, '--version', '1', '--slice-id', `same-${ext}`, '--poll-ms', '100', '--json', join(dir, `items.${ext}`)], env());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/waiting/); // the queue path: answered 202, polled until complete
      summaries[ext] = JSON.parse(r.stdout);
    }
    const { slice_id: _, ...nd } = summaries.ndjson;
    expect(nd.status).toBe('complete');
    expect(nd.items).toBe(N);
    expect(nd.failures).toBeGreaterThan(0);
    expect(nd.pending).toBe(items.filter((it) => !it.label).length);
    for (const ext of ['csv', 'parquet']) {
      const { slice_id: id, ...s } = summaries[ext];
      expect(s).toEqual(nd);
      expect(await slice(id)).toMatchObject({ ...nd, slice_id: id });
    }
    // Item by item (a spread sample): the stored item and its diagnosis agree across formats,
    // and the NDJSON one is the fixture item.
    for (let i = 0; i < N; i += 149) {
      const id = items[i].item_id;
      const [a, b, c] = await Promise.all(['ndjson', 'csv', 'parquet'].map((ext) => item(`same-${ext}`, id)));
      expect(a.item).toMatchObject(items[i] as any);
      for (const d of [b, c]) {
        expect(d.item).toEqual(a.item);
        expect({ ...d, slice_id: '' }).toEqual({ ...a, slice_id: '' });
      }
    }
  });

  it('retries a failing server to exactly one slice', async () => {
    const file = join(dir, 'retry.csv');
    writeCsv(file, makeItems(1000, 11));
    // 1st POST: 503; 2nd: the Worker stores the slice but the answer is lost; 3rd: 200, same result.
    const proxy = await startProxy(w.url, (n) => (n === 1 ? '503' : n === 2 ? 'drop' : 'pass'));
    try {
      const r = await runCli(['submit', '--region', 'BR', ...MODEL, '--version', '2', '--backoff-ms', '20', '--json', file], { ...env(), AVLM_URL: proxy.url });
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.posts()).toBe(3);
      expect(r.stderr.match(/retrying/g)).toHaveLength(2);
      const summary = JSON.parse(r.stdout);
      expect(summary.items).toBe(1000);
      const card = await apiJson(w.url, '/v1/regions/BR/scorecard?model=avlm-cli&version=2', { token: key });
      expect(card.data.items).toBe(1000); // counted once though the Worker took it twice
      expect(card.data.failures).toBe(summary.failures);
    } finally {
      await proxy.close();
    }
  });

  it('names the row and column of a bad cell and sends nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeCsv(file, makeItems(5, 3));
    const csv = (await import('node:fs')).readFileSync(file, 'utf8').split('\n');
    const cols = csv[0].split(',');
    const row3 = csv[3].split(',');
    row3[cols.indexOf('prediction.score')] = 'abc';
    csv[3] = row3.join(',');
    writeFileSync(file, csv.join('\n'));
    const r = await runCli(['submit', '--region', 'BR', ...MODEL, '--version', '3', '--slice-id', 'bad-cell', file], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('row 3 (line 4), column prediction.score: "abc" is not a number');
    expect((await apiJson(w.url, '/v1/regions/BR/slices/bad-cell', { token: key })).status).toBe(404);
  });

  it('exits 1 with the server\'s error on a 4xx', async () => {
    const file = join(dir, 'bad-policy.ndjson');
    const bad = makeItems(4, 5);
    (bad[2] as any).policy = 'no.such.policy';
    writeNdjson(file, bad);
    const r = await runCli(['submit', '--region', 'BR', ...MODEL, '--version', '3', '--slice-id', 'bad-policy', '--json', file], env());
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe(400);
    expect(out.error.message).toMatch(/line 4.*policy/); // the header is line 1, so the file's line 3
    expect(r.stderr).toContain(`${out.error.message} (bad-policy.ndjson line 3)`);
  });
});

describe('avlm-diag reads through the typed client', () => {
  it('slice and scorecard print what the API answers', async () => {
    const s = await runCli(['slice', '--region', 'BR', 'same-csv', '--json'], env());
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toEqual(await slice('same-csv'));
    const c = await runCli(['scorecard', '--region', 'BR', '--model', 'avlm-cli', '--version', '1', '--json'], env());
    expect(c.code, c.stderr).toBe(0);
    const card = JSON.parse(c.stdout);
    expect(card.items).toBe(3 * N);
    expect(card).toEqual((await apiJson(w.url, '/v1/regions/BR/scorecard?model=avlm-cli&version=1', { token: key })).data);
    const human = await runCli(['scorecard', '--region', 'BR', '--model', 'avlm-cli', '--version', '1'], env());
    expect(human.stdout).toContain(`${3 * N} items`);
    // compare: versions 1 (the three slices above) and 2 (the retried one).
    const cmp = await runCli(['compare', '--region', 'BR', '--model', 'avlm-cli', '--from', '1', '--to', '2', '--json'], env());
    expect(cmp.code, cmp.stderr).toBe(0);
    const api = (await apiJson(w.url, '/v1/regions/BR/compare?model=avlm-cli&from=1&to=2', { token: key })).data;
    expect(JSON.parse(cmp.stdout)).toEqual(api);
    const tested = api.cells.filter((c: any) => c.verdict !== 'too_few');
    expect(tested.length).toBeGreaterThan(0);
    const shown = await runCli(['compare', '--region', 'BR', '--model', 'avlm-cli', '--from', '1', '--to', '2'], env());
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines).toHaveLength(tested.length + 2); // the title, one line per tested cell, the note
    expect(lines[1]).toContain(tested[0].signature);
    expect(lines[1]).toContain(tested[0].verdict);
  });

  it('a key outside its region gets the server\'s 403', async () => {
    const r = await runCli(['slice', '--region', 'MX', 'same-csv'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/avlm-diag: 403 /);
  });
});
