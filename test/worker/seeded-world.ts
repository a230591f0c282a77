// Seeded test worlds: an LCG (the same world on every run), a pick, and the submission of items
// grouped into their slices.
import { expect } from 'vitest';
import { submit } from './helpers.ts';

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export const pick = <T,>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)];

/** Submits each (region, slice) group of `sent` as one JSON slice; each must be a 201. */
export async function submitBySlice(sent: ReadonlyArray<{ region: string; slice: string; item: unknown }>, model: unknown): Promise<void> {
  const bySlice = new Map<string, Array<{ region: string; slice: string; item: unknown }>>();
  for (const s of sent) bySlice.set(`${s.region}|${s.slice}`, [...(bySlice.get(`${s.region}|${s.slice}`) ?? []), s]);
  for (const [k, list] of bySlice) {
    const [region, slice] = k.split('|');
    const r = await submit(region, { slice_id: slice, model, items: list.map((s) => s.item) });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
  }
}
