// `avlm-diag subscriptions …` against the Worker over HTTP (wrangler's harness: the bindings of
// wrangler.toml, the notification queue among them), with a receiver here: create (the secret
// shown once), list, show, deliveries after a real commit, delete; bad input exits 1 or 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiJson, type RunningWorker } from '../pages/worker.ts';
import { runCli, startWorker } from './worker.ts';

let w: RunningWorker;
let receiver: Server;
let hookUrl = '';
const got: string[] = [];

beforeAll(async () => {
  w = await startWorker('cli-subscriptions', {});
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => { got.push(String(req.headers['webhook-id'])); res.writeHead(204).end(); });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await w?.close();
  receiver?.close();
});

const admin = () => ({ AVLM_URL: w.url, AVLM_KEY: 'pages-admin-token' });

describe('avlm-diag subscriptions', () => {
  it('create, list, show, deliveries after a commit, delete', async () => {
    const created = await runCli(['subscriptions', 'create', '--hook-url', hookUrl, '--regions', 'BR', '--events', 'slice.completed', '--json'], admin());
    expect(created.code, created.stderr).toBe(0);
    const sub = JSON.parse(created.stdout);
    expect(sub).toMatchObject({ url: hookUrl, regions: ['BR'], events: ['slice.completed'] });
    expect(sub.secret).toMatch(/^whsec_/);

    const list = await runCli(['subscriptions'], admin());
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(sub.id);
    expect(list.stdout).not.toContain('whsec_');
    const show = await runCli(['subscriptions', 'show', sub.id], admin());
    expect(show.stdout).toContain(`${sub.id}: ${hookUrl}`);
    expect(show.stdout).not.toContain('whsec_');

    const slice = await apiJson(w.url, '/v1/regions/BR/slices', {
      method: 'POST',
      body: { slice_id: 'cli-sub-1', model: { id: 'cli-sub', version: '1', stage: 'sft' }, items: [{ item_id: 'a', surface: 'vod', language: 'pt', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.1 }, probes: {} }] },
    });
    expect(slice.status).toBe(201);
    const until = Date.now() + 30_000;
    while (!got.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(1);
    const deliveries = await runCli(['subscriptions', 'deliveries', sub.id], admin());
    expect(deliveries.code, deliveries.stderr).toBe(0);
    expect(deliveries.stdout).toMatch(new RegExp(`204\\s+slice\\.completed\\s+${got[0]}\\s+delivered`));

    const del = await runCli(['subscriptions', 'delete', sub.id], admin());
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`subscription ${sub.id} deleted`);
    const gone = await runCli(['subscriptions', 'show', sub.id], admin());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('id:');
  });

  it('bad input: the server\'s 400 naming the field (exit 1), bad usage (exit 2)', async () => {
    const badUrl = await runCli(['subscriptions', 'create', '--hook-url', 'http://hooks.example.com/x', '--regions', 'BR', '--events', 'slice.completed'], admin());
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('url');
    const badEvent = await runCli(['subscriptions', 'create', '--hook-url', hookUrl, '--regions', 'BR', '--events', 'slice.started'], admin());
    expect(badEvent.code).toBe(1);
    expect(badEvent.stderr).toContain('events');
    expect((await runCli(['subscriptions', 'create', '--regions', 'BR', '--events', 'slice.completed'], admin())).code).toBe(2);
    expect((await runCli(['subscriptions', 'deliveries', 'sub_x', '--limit', '0'], admin())).code).toBe(2);
    expect((await runCli(['subscriptions', 'frobnicate', 'x'], admin())).code).toBe(2);
  });
});
