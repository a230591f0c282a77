// Starts the Worker as a real HTTP server for the page tests: the bundle `wrangler deploy`
// would upload (built offline with --dry-run), run by Miniflare with in-memory D1/R2 and the
// real migrations applied.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Miniflare } from 'miniflare';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ADMIN = 'pages-admin-token';

export interface RunningWorker { url: string; mf: Miniflare; close: () => Promise<void> }

/** Builds the bundle into .bench/<outName> (one directory per test file: files run in parallel). */
export function buildBundle(outName: string): string {
  const outdir = join(ROOT, '.bench', outName);
  rmSync(outdir, { recursive: true, force: true });
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const r = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return join(outdir, 'index.js');
}

export async function applyMigrations(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database('DB');
  const dir = join(ROOT, 'db', 'migrations');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const statements = readFileSync(join(dir, file), 'utf8').split('--> statement-breakpoint').map((s) => s.trim()).filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

/**
 * The Miniflare that wrangler itself runs (wrangler's own dependency, 4.x). The copy hoisted to
 * node_modules/miniflare comes from @cloudflare/vitest-plugin and is a 5.x beta with another
 * constructor, so it is not imported by name here.
 */
async function wranglersMiniflare(): Promise<typeof import('miniflare').Miniflare> {
  const fromWrangler = createRequire(join(ROOT, 'node_modules', 'wrangler', 'package.json'));
  const mod = await import(pathToFileURL(fromWrangler.resolve('miniflare')).href);
  return mod.Miniflare;
}

export async function startWorker(outName: string): Promise<RunningWorker> {
  const scriptPath = buildBundle(outName);
  const Miniflare = await wranglersMiniflare();
  const mf = new Miniflare({
    modules: true, scriptPath, port: 0, host: '127.0.0.1',
    d1Databases: ['DB'], r2Buckets: ['SLICES'], queueProducers: { INGEST_QUEUE: 'avlm-diag-ingest' },
    bindings: { ADMIN_TOKEN: ADMIN },
    compatibilityDate: '2026-09-01', compatibilityFlags: ['nodejs_compat'],
  } as never);
  const url = (await mf.ready).toString().replace(/\/$/, '');
  await applyMigrations(mf);
  return { url, mf, close: () => mf.dispose() };
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
