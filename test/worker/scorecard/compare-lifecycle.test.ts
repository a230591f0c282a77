// Versions across the lifecycle: compare, lifecycle and slice-level signatures, checked
// against numbers computed here by textbook formulas (not the service's own statistics).
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:test';
import { api, createKey, item, submit } from '../helpers.ts';
import { SHIFT_SQL } from '../../../functions/services/slice-signatures.ts';

const Z = 1.959964;
function wilson(k: number, n: number) {
  const p = k / n, z2 = Z * Z, d = 1 + z2 / n;
  const c = (p + z2 / (2 * n)) / d, h = (Z / d) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return { value: p, low: c - h, high: c + h };
}
// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7) for the normal CDF.
function phi(x: number) {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
function pooledZ(k1: number, n1: number, k2: number, n2: number) {
  const p = (k1 + k2) / (n1 + n2);
  const z = (k1 / n1 - k2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return { z, p: 2 * phi(-Math.abs(z)) };
}

const M = 'cmp';
const tn = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.1 } });
const suppressed = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const marginFp = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.55 } });
const many = (n: number, f: (id: string) => unknown, p: string) => Array.from({ length: n }, (_, i) => f(`${p}${i}`));

describe('versions, lifecycle and slice-level signatures', () => {
  beforeAll(async () => {
    const slices: Array<[string, string, string, string, unknown[]]> = [
      ['IN', 'in-v1', '1', 'sft', [...many(20, suppressed, 's'), ...many(80, tn, 't')]],
      ['IN', 'in-v2', '2', 'alignment', [...many(5, suppressed, 's'), ...many(95, tn, 't')]],
      ['IN', 'in-v3', '3', 'production', [...many(30, marginFp, 'm'), ...many(70, tn, 't')]],
      ['ID', 'id-v3', '3', 'production', [...many(2, marginFp, 'm'), ...many(98, tn, 't')]],
    ];
    for (const [region, slice_id, version, stage, items] of slices) {
      const r = await submit(region, { slice_id, model: { id: M, version, stage }, items });
      expect(r.status).toBe(201);
    }
  });

  it('compares two versions cell by cell with Newcombe interval, pooled z, BH q and a verdict', async () => {
    const r = await api(`/v1/regions/IN/compare?model=${M}&from=1&to=2`);
    expect(r.status).toBe(200);
    expect(r.data.from).toEqual({ version: '1', stage: 'sft' });
    expect(r.data.to).toEqual({ version: '2', stage: 'alignment' });
    expect(r.data.cells.map((c: any) => [c.policy, c.signature])).toEqual([['hate.slur', '*'], ['hate.slur', 'FUS.SUPPRESS.audio']]);
    const cell = r.data.cells[0];
    expect(cell.from).toMatchObject({ count: 20, n: 100 });
    expect(cell.to).toMatchObject({ count: 5, n: 100 });
    // z = (0.05 − 0.20) / sqrt(0.125 · 0.875 · 0.02) = −3.2071…
    const t = pooledZ(5, 100, 20, 100);
    expect(cell.z).toBeCloseTo(t.z, 6);
    expect(cell.z).toBeCloseTo(-3.20713, 4);
    expect(cell.p).toBeCloseTo(t.p, 6);
    // Two cells with the same p: BH q = p · 2 / 2.
    expect(cell.q).toBeCloseTo(t.p, 6);
    // Newcombe (method 10): d ± hypot of the Wilson half-widths.
    const a = wilson(5, 100), b = wilson(20, 100);
    expect(cell.diff.value).toBeCloseTo(-0.15, 12);
    expect(cell.diff.low).toBeCloseTo(-0.15 - Math.hypot(a.value - a.low, b.high - b.value), 9);
    expect(cell.diff.high).toBeCloseTo(-0.15 + Math.hypot(a.high - a.value, b.value - b.low), 9);
    expect(cell.verdict).toBe('improved');
    expect(cell.to.rate.low).toBeCloseTo(a.low, 9);
  });

  it('says too_few instead of testing small cells, and 404s unknown versions', async () => {
    const r = await api(`/v1/regions/ID/compare?model=${M}&from=2&to=3`);
    expect(r.status).toBe(200);
    const star = r.data.cells.find((c: any) => c.signature === '*');
    expect(star.from.n).toBe(0);
    expect(star.verdict).toBe('too_few');
    expect(star.p).toBeNull();
    const bad = await api(`/v1/regions/IN/compare?model=${M}&from=1&to=9`);
    expect(bad.status).toBe(404);
    expect(bad.data.error.message).toMatch(/^to:/);
    expect((await api(`/v1/regions/IN/compare?model=${M}&from=1`)).data.error.message).toMatch(/^to:/);
  });

  it('shows rates by lifecycle stage, in lifecycle order', async () => {
    const r = await api(`/v1/lifecycle?model=${M}&region=IN`);
    expect(r.data.stages.map((s: any) => [s.stage, s.versions, s.items, s.failures])).toEqual([
      ['sft', ['1'], 100, 20], ['alignment', ['2'], 100, 5], ['production', ['3'], 100, 30],
    ]);
    const w = wilson(20, 100);
    expect(r.data.stages[0].failure_rate).toMatchObject({ value: 0.2, n: 100, too_few: false });
    expect(r.data.stages[0].failure_rate.low).toBeCloseTo(w.low, 9);
    expect(r.data.stages[2].by_signature).toEqual([expect.objectContaining({ code: 'THR.MARGIN', count: 30 })]);
    const all = await api(`/v1/lifecycle?model=${M}`);
    expect(all.data.stages[2].items).toBe(200); // IN + ID
    const key = await createKey(['IN'], ['read']);
    expect((await api(`/v1/lifecycle?model=${M}`, { token: key })).status).toBe(403);
    expect((await api(`/v1/lifecycle?model=${M}&region=IN`, { token: key })).status).toBe(200);
    expect((await api(`/v1/lifecycle?model=nope`)).status).toBe(404);
  });

  it('fires VER.REGRESSION, CAL.MISFIT, REG.DISPARITY and DIST.SHIFT with their statistics', async () => {
    const sc = (await api(`/v1/regions/IN/scorecard?model=${M}&version=3`)).data;
    const codes = sc.slice_signatures.map((s: any) => `${s.code}:${s.signature ?? s.policy}`).sort();
    expect(codes).toEqual(['CAL.MISFIT:hate.slur', 'DIST.SHIFT:hate.slur', 'REG.DISPARITY:hate.slur', 'VER.REGRESSION:THR.MARGIN']);
    const by = (c: string) => sc.slice_signatures.find((s: any) => s.code === c);
    // CAL.MISFIT: 30 FP, 0 FN → exact two-sided binomial p = 2 · 0.5^30.
    expect(by('CAL.MISFIT').statistics.fp).toBe(30);
    expect(by('CAL.MISFIT').statistics.fp_fn_p).toBeCloseTo(2 * 0.5 ** 30, 15);
    // REG.DISPARITY: IN 30/100 against the rest of the world 2/100.
    const d = pooledZ(30, 100, 2, 100);
    expect(by('REG.DISPARITY').statistics.z).toBeCloseTo(d.z, 6);
    expect(by('REG.DISPARITY').statistics.rest_of_world_rate).toBeCloseTo(0.02, 12);
    // VER.REGRESSION: THR.MARGIN from 0/100 (v2) to 30/100 (v3).
    expect(by('VER.REGRESSION').statistics.previous_version).toBe('2');
    expect(by('VER.REGRESSION').statistics.z).toBeCloseTo(pooledZ(30, 100, 0, 100).z, 6);
    // DIST.SHIFT: scores all in bin 1 before; 70 % bin 1 and 30 % bin 5 now; empty shares → 1e-4.
    const psi = (1 - 0.7) * Math.log(1 / 0.7) + (1e-4 - 0.3) * Math.log(1e-4 / 0.3);
    expect(by('DIST.SHIFT').statistics.psi_score).toBeCloseTo(psi, 9);
    expect(by('DIST.SHIFT').statistics.previous_slice).toBe('in-v2');
    expect(by('CAL.MISFIT').interventions[0].code).toBe('INF.CALIBRATE');
    // ID is not worse than the rest of the world: no disparity there.
    const id = (await api(`/v1/regions/ID/scorecard?model=${M}&version=3`)).data;
    expect(id.slice_signatures.filter((s: any) => s.code === 'REG.DISPARITY')).toEqual([]);
  });
  it('reads the distributions DIST.SHIFT compares by range seeks on slice_aggregates_metric', async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${SHIFT_SQL}`).bind('IN', M, '3').all<{ detail: string }>();
    const seeks = results.filter((r) => r.detail.includes('slice_aggregates_metric'));
    expect(seeks.map((r) => r.detail)).toEqual(Array(3).fill('SEARCH sa USING COVERING INDEX slice_aggregates_metric (slice_pk=? AND metric>? AND metric<?)'));
  });

  // Other regions' counts come from a read each instance keeps for 15 s, and the disparity tests
  // over it are kept with it (services/slice-signatures.ts); the region's own counts must still
  // be its fresh ones. Last in this file: it adds a slice to IN v3.
  it('REG.DISPARITY follows a new slice of the region at once, while the cross-region read is cached', async () => {
    const disparity = async (region: string) => (await api(`/v1/regions/${region}/scorecard?model=${M}&version=3`)).data
      .slice_signatures.filter((s: any) => s.code === 'REG.DISPARITY');
    await api(`/v1/regions/ID/scorecard?model=${M}&version=3`); // the cross-region read, cached
    const before = await disparity('IN');
    expect(before.map((s: any) => s.statistics.n)).toEqual([100]);
    expect(await disparity('IN')).toEqual(before); // the same read again: the same answer
    expect((await submit('IN', { slice_id: 'in-v3-more', model: { id: M, version: '3', stage: 'production' }, items: many(400, tn, 'u') })).status).toBe(201);
    // IN is now 30/500 against the rest of the world's 2/100: z = 1.62…, p ≈ 0.10 — no disparity.
    const t = pooledZ(30, 500, 2, 100);
    expect(t.p).toBeGreaterThan(0.05);
    expect(await disparity('IN')).toEqual([]);
  });
});
