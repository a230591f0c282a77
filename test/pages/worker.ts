// Starts the Worker as a real HTTP server for the page tests: the bundle `wrangler deploy`
// would upload (built offline with --dry-run), run by wrangler's test harness (workerd via
// Miniflare, bindings from wrangler.toml, fresh in-memory D1/R2 per start) with the real
// migrations applied.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestHarness } from 'wrangler';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ADMIN = 'pages-admin-token';

/** Debian's Chromium for the browser tests (CHROMIUM_PATH overrides); they skip without it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Screenshots for a person to look at. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** A number shown on a page (data attribute or text); null when absent or empty. */
export const num = (s: string | null | undefined) => (s === null || s === undefined || s === '' ? null : Number(s));

/** The part of D1's binding the tests use (this file runs in Node, without the Workers types). */
export interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): any; all<T = unknown>(): Promise<{ results: T[] }>; first<T = unknown>(): Promise<T | null> };
  batch(statements: unknown[]): Promise<unknown[]>;
}

export interface RunningWorker {
  url: string;
  /** The Worker's bindings (for seeding D1 directly). */
  env: () => Promise<{ DB: D1Like }>;
  close: () => Promise<void>;
}

/** Builds the bundle into .bench/<outName> (one directory per test file: files run in parallel). */
export function buildBundle(outName: string): string {
  const outdir = join(ROOT, '.bench', outName);
  rmSync(outdir, { recursive: true, force: true });
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const r = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return outdir;
}

export async function startWorker(outName: string): Promise<RunningWorker> {
  const prebuiltWorkerDir = buildBundle(outName);
  const server = createTestHarness({
    root: ROOT,
    workers: [{ configPath: './wrangler.toml', prebuiltWorkerDir, secrets: { ADMIN_TOKEN: ADMIN } }],
  });
  const { url } = await server.listen();
  const worker = server.getWorker();
  await worker.applyD1Migrations('DB');
  return { url: url.href.replace(/\/$/, ''), env: async () => (await worker.getEnv()) as { DB: D1Like }, close: () => server.close() };
}

/** JSON API call with the admin token (or another key). */
export async function apiJson(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const res = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? ADMIN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, data: text ? JSON.parse(text) : null };
}

/** Debian's Chromium, started the way this closed network needs (PITFALLS.md). */
export async function launchChromium(executablePath: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { browser, ctx, page: await ctx.newPage() };
}

/** A read key for every region and one for BR only. */
export async function readKeys(base: string): Promise<{ readKey: string; brKey: string }> {
  const key = async (regions: string[]) => (await apiJson(base, '/v1/admin/keys', { method: 'POST', body: { regions, scopes: ['read'] } })).data.key as string;
  return { readKey: await key(['*']), brKey: await key(['BR']) };
}
