// Issue 12, defect 1: a region key's attribution report is computed over its regions only —
// targeted cells, collateral, the BH correction and the overall gain — never pooled over other
// regions. Expected figures are worked out here from the submitted counts of the attribution
// world (test/worker/attribution-world.ts), not read back from the service.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, createKey } from '../helpers.ts';
import { seedAttributionWorld } from '../attribution-world.ts';
import { elements, num, page } from '../pages/html.ts';
import { pz } from '../stats.ts';
import { sha256Hex } from '../../../functions/lib/crypto.ts';

const M = 'atscope';
// What was submitted (failures / items per region and version): every failure of BR, MX and AR
// is FUS.SUPPRESS.audio, every one of CO is THR.MARGIN; all items are hate.slur, none excluded.
const WORLD = {
  BR: { before: [40, 200], after: [10, 200] }, MX: { before: [20, 200], after: [20, 200] },
  AR: { before: [4, 20], after: [1, 20] }, CO: { before: [5, 200], after: [30, 200] },
} as const;
type R = keyof typeof WORLD;

/** (before rate − after rate) × after n, over the given regions pooled. */
function gain(regions: R[]): number {
  const s = (w: 'before' | 'after', i: 0 | 1) => regions.reduce((t, r) => t + WORLD[r][w][i], 0);
  return (s('before', 0) / s('before', 1) - s('after', 0) / s('after', 1)) * s('after', 1);
}
const recoveredIn = (r: R) => gain([r]);
const near = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)));

let ids: Record<'A' | 'B' | 'C', string>;
const keys: Record<string, string> = {};

describe('attribution is computed over the reading key\'s regions only', () => {
  beforeAll(async () => {
    ids = await seedAttributionWorld(M);
    keys.BR = await createKey(['BR'], ['read']);
    keys.BRMX = await createKey(['BR', 'MX'], ['read']);
    keys.CO = await createKey(['CO'], ['read']);
    keys.star = await createKey(['*'], ['read']);
    // A key listing 150 regions (every seeded one but CO): inserted directly, as the regions
    // list must travel to D1 as one JSON parameter, not 150 bound ones.
    const { results } = await env.DB.prepare("SELECT code FROM regions WHERE code <> 'CO' ORDER BY code").all<{ code: string }>();
    const wide = results.map((r) => r.code).filter((c) => ['AR', 'BR', 'MX'].includes(c) || c > 'CO').slice(0, 150);
    expect(wide.length).toBe(150);
    expect(wide).toEqual(expect.arrayContaining(['AR', 'BR', 'MX']));
    keys.wide = 'scope-test-wide-key';
    await env.DB.prepare("INSERT INTO api_keys (id, hash, regions, scopes, created_at) VALUES ('key_wide', ?, ?, '[\"read\"]', '2026-11-01T00:00:00Z')")
      .bind(await sha256Hex(keys.wide), JSON.stringify(wide)).run();
  });

  it('a BR key: only BR\'s cell, no collateral, overall gain over BR (GET /v1/interventions/{id}/attribution)', async () => {
    const r = await api(`/v1/interventions/${ids.A}/attribution`, { token: keys.BR });
    expect(r.status).toBe(200);
    const { before, after } = WORLD.BR;
    expect(r.data.targeted.map((c: any) => [c.region, c.signature, c.before.count, c.before.n, c.after.count, c.after.n]))
      .toEqual([['BR', 'FUS.SUPPRESS.audio', before[0], before[1], after[0], after[1]]]);
    // One tested cell: q = p.
    near(r.data.targeted[0].q, pz(after[0], after[1], before[0], before[1]));
    expect(r.data.collateral).toEqual([]);
    // BR's recovery is shared with B (same cell): half of it.
    near(r.data.summary.recovered, recoveredIn('BR') / 2);
    near(r.data.summary.overall_gain, gain(['BR']));
    near(r.data.summary.attributable_share, recoveredIn('BR') / 2 / gain(['BR']));
  });

  it('a BR+MX key: both cells, BH over two, overall gain pooled over BR and MX only', async () => {
    const r = (await api(`/v1/interventions/${ids.A}/attribution`, { token: keys.BRMX })).data;
    expect(r.targeted.map((c: any) => c.region)).toEqual(['BR', 'MX']);
    const p = { BR: pz(10, 200, 40, 200), MX: pz(20, 200, 20, 200) };
    near(r.targeted[1].q, Math.min(1, p.MX * 2 / 2));
    near(r.targeted[0].q, Math.min(p.BR * 2 / 1, r.targeted[1].q));
    expect(r.collateral).toEqual([]);
    near(r.summary.recovered, recoveredIn('BR') / 2 + recoveredIn('MX'));
    near(r.summary.overall_gain, gain(['BR', 'MX']));
  });

  it('a CO key reading the harmful record: no collateral of BR, overall gain over CO', async () => {
    const admin = (await api(`/v1/interventions/${ids.C}/attribution`)).data;
    expect(admin.collateral.map((c: any) => c.region)).toEqual(['BR']); // the admin sees it
    const r = (await api(`/v1/interventions/${ids.C}/attribution`, { token: keys.CO })).data;
    expect(r.targeted.map((c: any) => [c.region, c.verdict])).toEqual([['CO', 'harmful']]);
    expect(r.collateral).toEqual([]);
    near(r.summary.recovered, recoveredIn('CO'));
    near(r.summary.overall_gain, gain(['CO']));
    expect(r.summary.attributable_share).toBeNull(); // the model lost ground in CO
  });

  it('the version report (GET /v1/models/{model}/versions/{version}/attribution) is scoped the same way', async () => {
    const r = (await api(`/v1/models/${M}/versions/2/attribution`, { token: keys.BR })).data;
    expect(r.reports.map((x: any) => x.intervention.id)).toEqual([ids.A, ids.B]);
    for (const rep of r.reports) {
      expect(rep.targeted.map((c: any) => c.region)).toEqual(['BR']);
      expect(rep.collateral).toEqual([]);
      near(rep.summary.overall_gain, gain(['BR']));
    }
  });

  it('a key of 150 regions works (one JSON parameter) and leaves CO out', async () => {
    const r = await api(`/v1/interventions/${ids.A}/attribution`, { token: keys.wide });
    expect(r.status).toBe(200);
    expect(r.data.targeted.map((c: any) => c.region)).toEqual(['AR', 'BR', 'MX']);
    expect(r.data.collateral).toEqual([]);
    near(r.data.summary.recovered, recoveredIn('BR') / 2 + recoveredIn('MX') + recoveredIn('AR'));
    near(r.data.summary.overall_gain, gain(['AR', 'BR', 'MX']));
  });

  it('records an intervention targeting 150 regions (201), and names an unknown one among them (400)', async () => {
    const { results } = await env.DB.prepare('SELECT code FROM regions ORDER BY code LIMIT 150').all<{ code: string }>();
    const regions = results.map((r) => r.code);
    // On version 1: not a sibling of the version-2 records the other tests read.
    const body = (targets: string[]) => ({ intervention: 'INF.THRESHOLD', model: { id: M, version: '1' }, targets: { signatures: ['THR.MARGIN'], regions: targets }, applied_at: '2026-11-01T00:00:00Z' });
    const ok = await api('/v1/interventions', { method: 'POST', json: body(regions) });
    expect(ok.status).toBe(201);
    expect(ok.data.targets.regions).toEqual([...regions].sort());
    const bad = await api('/v1/interventions', { method: 'POST', json: body([...regions.slice(1), 'QQ']) });
    expect(bad.status).toBe(400);
    expect(bad.data.error.message).toBe('targets.regions: unknown region(s) QQ');
  });

  it('admin and \'*\' keys still see every region', async () => {
    for (const token of [undefined, keys.star]) {
      const r = (await api(`/v1/interventions/${ids.C}/attribution`, { token })).data;
      near(r.summary.overall_gain, gain(['AR', 'BR', 'CO', 'MX']));
      expect(r.collateral.map((c: any) => c.region)).toEqual(['BR']);
    }
  });

  it('the page /scorecards/interventions/{id} shows a BR key only BR\'s numbers', async () => {
    const r = await page(`/scorecards/interventions/${ids.A}`, { token: keys.BR });
    expect(r.status).toBe(200);
    const rows = await elements(r.data, 'table#targeted tbody tr');
    expect(rows.map((x) => x['data-region'])).toEqual(['BR']);
    expect(await elements(r.data, 'table#collateral tbody tr')).toEqual([]);
    const kpis = Object.fromEntries((await elements(r.data, '#summary .kpi')).map((k) => [k['data-metric'], k['data-value']]));
    near(num(kpis.overall_gain)!, gain(['BR']));
    const co = await page(`/scorecards/interventions/${ids.C}`, { token: keys.CO });
    expect(await elements(co.data, 'table#collateral tbody tr')).toEqual([]);
    near(num(Object.fromEntries((await elements(co.data, '#summary .kpi')).map((k) => [k['data-metric'], k['data-value']])).overall_gain)!, gain(['CO']));
  });
});
