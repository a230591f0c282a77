// Region lists longer than D1's 100 bound parameters: keys and intervention records accept every
// list size their schema allows (issue 12, defect 1).
import { describe, it, expect, beforeAll } from 'vitest';
import { api } from '../helpers.ts';
import { expectError, rows } from '../reference.ts';
import { recordIn } from '../attribution-world.ts';

let all: string[] = [];
beforeAll(async () => {
  all = (await rows<{ code: string }>('SELECT code FROM regions ORDER BY code')).map((r) => r.code);
  expect(all.length).toBeGreaterThan(101);
});

describe('region keys with more than 100 regions', () => {
  for (const n of [101, 'all'] as const) {
    it(`${n} regions → 201, stored, and the key works in its last region`, async () => {
      const regions = n === 'all' ? all : all.slice(0, n);
      const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: [...regions].reverse(), scopes: ['read'] } });
      expect(r.status).toBe(201);
      expect(r.data.regions).toEqual(regions);
      const [stored] = await rows<{ regions: string }>('SELECT regions FROM api_keys WHERE id = ?', r.data.id);
      expect(JSON.parse(stored.regions)).toEqual(regions);
      const last = regions[regions.length - 1];
      expect((await api(`/v1/regions/${last}/slices/none`, { token: r.data.key })).status).toBe(404);
      const outside = all.find((c) => !regions.includes(c));
      if (outside) expectError(await api(`/v1/regions/${outside}/slices/none`, { token: r.data.key }), 403, 'forbidden');
    });
  }

  it('300 codes (the schema max), some unknown → 400 naming them, no key stored', async () => {
    const fake: string[] = [];
    for (let a = 65; a <= 90 && all.length + fake.length < 300; a++) for (let b = 65; b <= 90 && all.length + fake.length < 300; b++) {
      const c = String.fromCharCode(a, b);
      if (!all.includes(c)) fake.push(c);
    }
    const before = (await rows('SELECT id FROM api_keys')).length;
    const r = await api('/v1/admin/keys', { method: 'POST', json: { regions: [...all, ...fake], scopes: ['read'] } });
    const e = expectError(r, 400, 'invalid_request');
    expect(e.message).toContain('regions');
    expect(e.message).toContain(fake[0]);
    expect((await rows('SELECT id FROM api_keys')).length).toBe(before);
  });
});

describe('intervention records with more than 100 target regions', () => {
  const record = recordIn('lim-rec');
  beforeAll(async () => {
    for (const version of ['1', '2']) {
      const r = await api('/v1/regions/BR/slices', { method: 'POST', json: { slice_id: `lim-rec-${version}`, model: { id: 'lim-rec', version, stage: 'sft' }, items: [{ item_id: 'a', surface: 'vod', language: 'pt-BR', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.1 } }] } });
      expect(r.status).toBe(201);
    }
  });

  for (const n of [101, 'all'] as const) {
    it(`${n} target regions → 201, and the record reads back with them`, async () => {
      const regions = n === 'all' ? all : all.slice(0, n);
      const r = await record({ intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions } });
      expect(r.status).toBe(201);
      const back = await api(`/v1/interventions/${r.data.id}`);
      expect(back.status).toBe(200);
      expect(back.data.targets.regions).toEqual(regions);
      expect((await api(`/v1/interventions/${r.data.id}/attribution`)).status).toBe(200);
    });
  }
});
