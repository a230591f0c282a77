import { describe, it, expect } from 'vitest';
import { api, item, MODEL, submit } from './helpers.ts';

describe('smoke', () => {
  it('lists regions', async () => {
    const r = await api('/v1/regions');
    expect(r.status).toBe(200);
    expect(r.data.regions.length).toBeGreaterThanOrEqual(120);
  });
  it('submits a slice', async () => {
    const r = await submit('BR', { slice_id: 's1', model: MODEL, items: [item('a'), item('b', { prediction: { score: 0.9 } })] });
    expect(r.data).toMatchObject({ items: 2, failures: 1 });
    expect(r.status).toBe(201);
  });
});
