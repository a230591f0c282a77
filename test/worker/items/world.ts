// A small world for the items route tests: slices whose items cover every outcome and several
// signatures (each failure has a probe, so none waits for the GPU backend), and the expected
// listing computed here from what was submitted — independently of the Worker.
import { expect } from 'vitest';
import { api, item, submit } from '../helpers.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > until) return v;
    await sleep(100);
  }
}

export interface Expected { slice_id: string; item_id: string; policy: string; outcome: string; primary: string | null }

const POLICIES = ['hate.slur', 'violence.graphic', 'spam.scam'];

/** The i-th item (threshold 0.5 everywhere) and what it must be diagnosed as. */
function kind(i: number): { over: Record<string, unknown>; outcome: string; primary: string | null } {
  const lab = (violating: boolean, evidence?: string[]) => ({ violating, source: 'internal', ...(evidence ? { evidence } : {}) });
  switch (i % 8) {
    case 0: return { over: { label: lab(false), prediction: { score: 0.1, threshold: 0.5 } }, outcome: 'TN', primary: null };
    case 1: return { over: { label: lab(true), prediction: { score: 0.9, threshold: 0.5 } }, outcome: 'TP', primary: null };
    case 2: return { over: { label: lab(true, ['audio']), prediction: { score: 0.2, threshold: 0.5 }, probes: { audio_only: 0.9 } }, outcome: 'FN', primary: 'FUS.SUPPRESS.audio' };
    case 3: return { over: { label: lab(true, ['visual']), prediction: { score: 0.2, threshold: 0.5 }, probes: { visual_only: 0.8 } }, outcome: 'FN', primary: 'FUS.SUPPRESS.visual' };
    case 4: return { over: { label: lab(true, ['audio']), prediction: { score: 0.2, threshold: 0.5 }, probes: { audio_only: 0.1 } }, outcome: 'FN', primary: 'PER.MISS.audio' };
    case 5: return { over: { label: lab(false), prediction: { score: 0.55, threshold: 0.5 }, probes: { text_only: 0.1 } }, outcome: 'FP', primary: 'THR.MARGIN' };
    case 6: return { over: { label: lab(false), prediction: { score: 0.9, threshold: 0.5 }, probes: { text_only: 0.1 } }, outcome: 'FP', primary: 'UNEXPLAINED' };
    default: return { over: { label: undefined, prediction: { score: 0.3, threshold: 0.5 } }, outcome: 'pending', primary: null };
  }
}

/** Submits a slice of `n` items (ids not in submission order, so the listing must sort them). */
export async function submitWorld(region: string, sliceId: string, model: { id: string; version: string; stage: string }, n: number, seed = 0) {
  const items: unknown[] = [];
  const expected: Expected[] = [];
  for (let k = 0; k < n; k++) {
    const i = k + seed;
    const id = `it-${String((k * 37) % n).padStart(3, '0')}-${i % 3}`;
    const policy = POLICIES[i % POLICIES.length];
    const { over, outcome, primary } = kind(i);
    items.push(item(id, { policy, ...over }));
    expected.push({ slice_id: sliceId, item_id: id, policy, outcome, primary });
  }
  const r = await submit(region, { slice_id: sliceId, model, items });
  if (r.status !== 201) throw new Error(`submit ${sliceId}: ${r.status} ${JSON.stringify(r.data)}`);
  return expected;
}

/** The listing order (SPEC §10): slices in the order given (created_at), then item_id. */
export function inOrder(slices: Expected[][]): Expected[] {
  return slices.flatMap((s) => [...s].sort((a, b) => (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0)));
}

/** Walks every page of a listing; returns the items and the totals each page reported. */
export async function walk(path: string, limit: number, token?: string) {
  const items: any[] = [];
  const totals = new Set<number>();
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const r = await api(`${path}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.data)}`);
    expect(r.data.items.length).toBeLessThanOrEqual(limit);
    items.push(...r.data.items);
    totals.add(r.data.total);
    cursor = r.data.next_cursor;
    if (!cursor) break;
  }
  return { items, totals: [...totals] };
}
