// Hand-written reference arithmetic and small utilities for the Worker tests. Deliberately
// independent of taxonomy/stats: the tests recompute what the API shows from first principles.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from './helpers.ts';

/** z of a two-sided 95 % interval, as SPEC §9 fixes it. */
export const Z95 = 1.959964;

/**
 * Wilson score interval, written in the "(k + z²/2) / (n + z²)" form (not the form the
 * service uses), so an algebra slip on either side shows up as a mismatch.
 */
export function wilsonRef(k: number, n: number): { value: number; low: number; high: number } {
  const z2 = Z95 * Z95;
  const p = k / n;
  const centre = (k + z2 / 2) / (n + z2);
  const half = ((Z95 * Math.sqrt(n)) / (n + z2)) * Math.sqrt(p * (1 - p) + z2 / (4 * n));
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Asserts a rate object {value, low, high, n, too_few} equals the hand-computed Wilson interval. */
export function expectRate(rate: any, k: number, n: number) {
  const ref = wilsonRef(k, n);
  expect(rate.n).toBe(n);
  expect(rate.value).toBeCloseTo(ref.value, 12);
  expect(rate.low).toBeCloseTo(ref.low, 10);
  expect(rate.high).toBeCloseTo(ref.high, 10);
  expect(rate.too_few).toBe(n < 30);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
/** A slice id / model id unique within this test file (storage is shared by a file's tests). */
export const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Polls GET slice until its status leaves `processing` (the queue consumer runs in the background). */
export async function waitForSlice(region: string, sliceId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(`/v1/regions/${region}/slices/${sliceId}`);
    if (r.status === 200 && r.data.status !== 'processing') return r;
    if (Date.now() > until) throw new Error(`slice ${region}/${sliceId} still ${JSON.stringify(r.data)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Rows of one SQL query against the test D1. */
export async function rows<T = Record<string, unknown>>(sql: string, ...binds: unknown[]): Promise<T[]> {
  const { results } = await env.DB.prepare(sql).bind(...binds).all<T>();
  return results;
}

/** Everything stored for a region: slices, item chunks, aggregates, model versions of a model id (one D1 batch). */
export async function storedFor(region: string, modelId: string) {
  const [s, c, a, m, l] = await env.DB.batch([
    env.DB.prepare('SELECT count(*) AS n FROM slices WHERE region = ?').bind(region),
    env.DB.prepare('SELECT count(*) AS n FROM item_chunks WHERE slice_pk IN (SELECT pk FROM slices WHERE region = ?)').bind(region),
    env.DB.prepare('SELECT count(*) AS n, total(value) AS v FROM aggregates WHERE region = ?').bind(region),
    env.DB.prepare('SELECT count(*) AS n FROM model_versions WHERE model_id = ?').bind(modelId),
    env.DB.prepare('SELECT count(*) AS n FROM slice_commits'),
  ]);
  const one = (r: D1Result) => r.results[0] as { n: number; v?: number };
  return { slices: one(s).n, chunks: one(c).n, aggregates: one(a).n, aggregateTotal: one(a).v, modelVersions: one(m).n, commits: one(l).n };
}

/** Every object key left in the SLICES bucket. */
export async function r2Keys(): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.SLICES.list({ cursor });
    out.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

/** The error shape of SPEC §8: {"error": {code, message, details?}}. */
export function expectError(r: { status: number; data: any }, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.data)).toBe(status);
  expect(typeof r.data?.error?.code).toBe('string');
  expect(typeof r.data?.error?.message).toBe('string');
  expect(r.data.error.message.length).toBeGreaterThan(0);
  if (code) expect(r.data.error.code).toBe(code);
  return r.data.error as { code: string; message: string; details?: any };
}
