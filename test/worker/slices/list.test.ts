// GET /v1/regions/{region}/slices (SPEC §10): a region's slices newest first with the counts of
// their summaries (computed here from the items submitted), filters by model and version, and
// a cursor walk that never skips or repeats a slice — also across ties on created_at.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, createKey, item, submit } from '../helpers.ts';
import { expectError } from '../reference.ts';

const fail = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.58 } }); // FP, THR.MARGIN
const ambig = (id: string) => item(id, { label: { violating: false, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: true }] }, prediction: { score: 0.95 } });
const pending = (id: string) => item(id, { label: undefined, prediction: { score: 0.3 } });
const pass = (id: string) => item(id);

type Plan = { slice: string; model: string; version: string; stage: string; fail: number; ambig: number; pending: number; pass: number; at: string };
// created_at is set below: three slices share one instant, two another (ties broken by slice_id).
const T1 = '2026-11-01T10:00:00.000Z';
const T2 = '2026-11-02T10:00:00.000Z';
const PLAN: Plan[] = [
  { slice: 's-a', model: 'm1', version: '1', stage: 'sft', fail: 3, ambig: 1, pending: 2, pass: 10, at: T1 },
  { slice: 's-c', model: 'm1', version: '1', stage: 'sft', fail: 0, ambig: 0, pending: 0, pass: 5, at: T1 },
  { slice: 's-b', model: 'm1', version: '2', stage: 'alignment', fail: 4, ambig: 2, pending: 1, pass: 3, at: T1 },
  { slice: 's-e', model: 'm1', version: '2', stage: 'alignment', fail: 1, ambig: 0, pending: 3, pass: 8, at: T2 },
  { slice: 's-d', model: 'm2', version: '1', stage: 'sft', fail: 2, ambig: 0, pending: 0, pass: 2, at: T2 },
  { slice: 's-f', model: 'm1', version: '1', stage: 'sft', fail: 5, ambig: 1, pending: 0, pass: 1, at: '2026-11-03T09:00:00.000Z' },
  { slice: 's-g', model: 'm2', version: '1', stage: 'sft', fail: 0, ambig: 0, pending: 1, pass: 1, at: '2026-10-30T09:00:00.000Z' },
];

const counts = (p: Plan) => ({ items: p.fail + p.ambig + p.pending + p.pass, failures: p.fail + p.ambig, excluded: p.ambig, pending: p.pending });
/** Newest first, slice_id descending among equal instants. */
const order = (ps: Plan[]) => [...ps].sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.slice < b.slice ? 1 : -1));
const entry = (p: Plan) => ({ slice_id: p.slice, model: { id: p.model, version: p.version, stage: p.stage }, created_at: p.at, status: 'complete', ...counts(p) });

async function walk(query: string, limit: number, token?: string) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const r = await api(`/v1/regions/BR/slices?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    expect(r.data.slices.length).toBeLessThanOrEqual(limit);
    seen.push(...r.data.slices.map((s: { slice_id: string }) => s.slice_id));
    cursor = r.data.next_cursor;
    if (!cursor) return seen;
  }
  throw new Error('walk did not end');
}

describe('GET /v1/regions/{region}/slices', () => {
  beforeAll(async () => {
    for (const p of PLAN) {
      const items = [
        ...Array.from({ length: p.fail }, (_, i) => fail(`f${i}`)), ...Array.from({ length: p.ambig }, (_, i) => ambig(`a${i}`)),
        ...Array.from({ length: p.pending }, (_, i) => pending(`p${i}`)), ...Array.from({ length: p.pass }, (_, i) => pass(`t${i}`)),
      ];
      const r = await submit('BR', { slice_id: p.slice, model: { id: p.model, version: p.version, stage: p.stage }, items });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
      expect(r.data).toMatchObject(counts(p));
      await env.DB.prepare('UPDATE slices SET created_at = ? WHERE region = ? AND slice_id = ?').bind(p.at, 'BR', p.slice).run();
    }
    // Another region's slice is never listed for BR.
    expect((await submit('AR', { slice_id: 's-z', model: { id: 'm1', version: '1', stage: 'sft' }, items: [pass('x')] })).status).toBe(201);
  });

  it('lists the slices newest first with the counts of each summary', async () => {
    const r = await api('/v1/regions/BR/slices');
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ slices: order(PLAN).map(entry), next_cursor: null });
    // The same counts as each slice's own summary.
    for (const s of r.data.slices) {
      const one = (await api(`/v1/regions/BR/slices/${s.slice_id}`)).data;
      expect([s.items, s.failures, s.excluded, s.pending, s.status]).toEqual([one.items, one.failures, one.excluded, one.pending, one.status]);
    }
  });

  it('filters by model, and by model and version', async () => {
    expect((await api('/v1/regions/BR/slices?model=m2')).data.slices).toEqual(order(PLAN.filter((p) => p.model === 'm2')).map(entry));
    expect((await api('/v1/regions/BR/slices?model=m1&version=2')).data.slices).toEqual(order(PLAN.filter((p) => p.model === 'm1' && p.version === '2')).map(entry));
    expect((await api('/v1/regions/BR/slices?model=nobody')).data).toEqual({ slices: [], next_cursor: null });
  });

  for (const limit of [1, 2, 3]) {
    it(`a cursor walk with limit ${limit} yields every slice once, in order (ties on created_at included)`, async () => {
      expect(await walk('', limit)).toEqual(order(PLAN).map((p) => p.slice));
      expect(await walk('model=m1&version=1', limit)).toEqual(order(PLAN.filter((p) => p.model === 'm1' && p.version === '1')).map((p) => p.slice));
    });
  }

  it('a walk does not shift when a slice is submitted between its pages', async () => {
    const first = await api('/v1/regions/BR/slices?model=m1&limit=2');
    expect((await submit('BR', { slice_id: 's-new', model: { id: 'm1', version: '1', stage: 'sft' }, items: [pass('n')] })).status).toBe(201);
    const seen = [...first.data.slices.map((s: { slice_id: string }) => s.slice_id)];
    let cursor = first.data.next_cursor;
    while (cursor) {
      const r = await api(`/v1/regions/BR/slices?model=m1&limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...r.data.slices.map((s: { slice_id: string }) => s.slice_id));
      cursor = r.data.next_cursor;
    }
    expect(seen).toEqual(order(PLAN.filter((p) => p.model === 'm1')).map((p) => p.slice));
    expect((await api('/v1/regions/BR/slices?model=m1&limit=1')).data.slices[0].slice_id).toBe('s-new');
    await env.DB.prepare("DELETE FROM slices WHERE region = 'BR' AND slice_id = 's-new'").run();
  });

  it('bad input is a 400 naming the field; other regions are 403; unknown regions 404', async () => {
    for (const [q, field] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=x', 'limit'], ['cursor=nope', 'cursor'], ['cursor=WyJhIl0', 'cursor'], ['version=1', 'version']] as const) {
      const e = expectError(await api(`/v1/regions/BR/slices?${q}`), 400, 'invalid_request');
      expect(e.message, q).toMatch(new RegExp(`^${field}: `));
    }
    const brKey = await createKey(['BR'], ['read']);
    expect((await api('/v1/regions/BR/slices?limit=1', { token: brKey })).data.slices).toHaveLength(1);
    expectError(await api('/v1/regions/AR/slices', { token: brKey }), 403, 'forbidden');
    expectError(await api('/v1/regions/AR/slices', { token: await createKey(['BR'], ['submit']) }), 403, 'forbidden');
    expectError(await api('/v1/regions/ZZ/slices'), 404, 'unknown_region');
  });
});
