// GET /v1/models (SPEC §10): every model version with its stage, first slice, and the regions
// and items of its committed slices — the expected figures are summed here from what the test
// submits; a region key sees only its regions (counts over them; other versions left out).
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';
import { expectError, rows } from '../reference.ts';

type Sub = { region: string; slice: string; model: string; version: string; stage: string; n: number };
// A 7-item test version submitted last in one region must not look like the main one.
const SUBS: Sub[] = [
  { region: 'BR', slice: 'br-a1', model: 'ma', version: '1', stage: 'sft', n: 41 },
  { region: 'BR', slice: 'br-a1b', model: 'ma', version: '1', stage: 'sft', n: 13 },
  { region: 'AR', slice: 'ar-a1', model: 'ma', version: '1', stage: 'sft', n: 29 },
  { region: 'MX', slice: 'mx-a1', model: 'ma', version: '1', stage: 'sft', n: 17 },
  { region: 'BR', slice: 'br-a2', model: 'ma', version: '2', stage: 'alignment', n: 23 },
  { region: 'AR', slice: 'ar-a2', model: 'ma', version: '2', stage: 'alignment', n: 31 },
  { region: 'MX', slice: 'mx-b1', model: 'mb', version: '7', stage: 'production', n: 11 },
  { region: 'AR', slice: 'ar-a3', model: 'ma', version: '3-test', stage: 'alignment', n: 7 },
];

/** The expected answer for a scope (null: all regions), computed from SUBS. */
function expected(scope: string[] | null, firstAt: Map<string, string>) {
  const mine = SUBS.filter((s) => scope === null || scope.includes(s.region));
  const models = [...new Set(mine.map((s) => s.model))].sort();
  return models.map((id) => {
    const versions = [...new Set(mine.filter((s) => s.model === id).map((s) => s.version))].map((version) => {
      const of = mine.filter((s) => s.model === id && s.version === version);
      return { version, stage: of[0].stage, first_slice_at: firstAt.get(`${id}|${version}`)!, regions: new Set(of.map((s) => s.region)).size, items: of.reduce((t, s) => t + s.n, 0) };
    }).sort((a, b) => (a.first_slice_at < b.first_slice_at ? 1 : a.first_slice_at > b.first_slice_at ? -1 : a.version < b.version ? 1 : -1));
    return { id, versions };
  });
}

const firstAt = new Map<string, string>();

describe('GET /v1/models', () => {
  beforeAll(async () => {
    for (const s of SUBS) {
      const items = Array.from({ length: s.n }, (_, i) => item(`${s.slice}-${i}`, i % 3 ? {} : { label: { violating: true }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } }));
      const r = await submit(s.region, { slice_id: s.slice, model: { id: s.model, version: s.version, stage: s.stage }, items });
      expect(r.status, JSON.stringify(r.data)).toBe(201);
    }
    // A refused slice (unknown policy) is not stored: it counts nowhere.
    const bad = await submit('BR', { slice_id: 'br-bad', model: { id: 'ma', version: '2', stage: 'alignment' }, items: [item('x', { policy: 'nope' })] });
    expect(bad.status).toBe(400);
    // first_slice_at as the version's first slice recorded it (SPEC: the first slice fixes stage and order).
    for (const r of await rows<{ model_id: string; version: string; first_slice_at: string }>('SELECT model_id, version, first_slice_at FROM model_versions')) {
      firstAt.set(`${r.model_id}|${r.version}`, r.first_slice_at);
    }
  });

  it('lists every model and version with regions and items summed from the submitted slices (admin and a * key)', async () => {
    const want = expected(null, firstAt);
    expect(want[0].versions.map((v) => v.version)).toEqual(['3-test', '2', '1']);
    const admin = await api('/v1/models');
    expect(admin.status).toBe(200);
    expect(admin.data).toEqual({ models: want });
    const star = await api('/v1/models', { token: await createKey(['*'], ['read']) });
    expect(star.data).toEqual({ models: want });
  });

  it('a region key sees only its regions: counts over them, versions without a slice there left out', async () => {
    const br = await api('/v1/models', { token: await createKey(['BR'], ['read']) });
    expect(br.status).toBe(200);
    expect(br.data).toEqual({ models: expected(['BR'], firstAt) });
    // ma 1 in BR alone: 41 + 13 items in 1 region (not AR's or MX's); no mb, no 3-test.
    expect(br.data.models).toEqual([{ id: 'ma', versions: [expect.objectContaining({ version: '2', regions: 1, items: 23 }), expect.objectContaining({ version: '1', regions: 1, items: 54 })] }]);
    const two = await api('/v1/models', { token: await createKey(['MX', 'AR'], ['read']) });
    expect(two.data).toEqual({ models: expected(['MX', 'AR'], firstAt) });
    const none = await api('/v1/models', { token: await createKey(['CO'], ['read']) });
    expect(none.data).toEqual({ models: [] });
  });

  it('a key of more than 100 regions is answered (one JSON parameter, not 100 bound ones)', async () => {
    const regions = (await api('/v1/regions')).data.regions.map((r: { code: string }) => r.code).filter((c: string) => c !== 'MX');
    expect(regions.length).toBeGreaterThan(100);
    const r = await api('/v1/models', { token: await createKey(regions, ['read']) });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ models: expected(regions, firstAt) });
  });

  it('needs the read scope and a key', async () => {
    expectError(await api('/v1/models', { token: await createKey(['BR'], ['submit']) }), 403, 'forbidden');
    expect((await api('/v1/models', { token: null })).status).toBe(401);
  });
});
