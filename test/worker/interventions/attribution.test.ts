// Closing the loop: intervention records and attribution, against hand-computed verdicts.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey } from '../helpers.ts';
import { recordIn, seedAttributionWorld } from '../attribution-world.ts';
import { pz } from '../stats.ts';

const near = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(1e-6);

const M = 'att';
const record = recordIn(M);

describe('intervention records and attribution', () => {
  let ids: Record<'A' | 'B' | 'C', string>;
  beforeAll(async () => { ids = await seedAttributionWorld(M); });

  it('records, lists and reads interventions', async () => {
    const list = await api(`/v1/interventions?model=${M}&version=2`);
    expect(list.data.interventions.map((r: any) => r.intervention)).toEqual(['TRAIN.MODALITY_DROPOUT', 'DATA.TARGETED', 'INF.THRESHOLD']);
    const one = await api(`/v1/interventions/${ids.A}`);
    expect(one.data).toMatchObject({ id: ids.A, model: { id: M, version: '2' }, targets: { signatures: ['FUS.SUPPRESS'], regions: ['AR', 'BR', 'MX'] }, note: 'dropout 0.3', applied_at: '2026-11-01T00:00:00.000Z', created_by: 'admin' });
  });

  it('gives each targeted cell a verdict and finds collateral moves, with BH over all tested cells', async () => {
    const r = (await api(`/v1/interventions/${ids.A}/attribution`)).data;
    expect(r.before).toBe('1');
    expect(r.after).toBe('2');
    const by = Object.fromEntries(r.targeted.map((c: any) => [c.region, c]));
    expect(Object.keys(by).sort()).toEqual(['AR', 'BR', 'MX']);
    expect(by.BR.verdict).toBe('effective');
    expect(by.MX.verdict).toBe('no_effect');
    expect(by.AR.verdict).toBe('too_few');
    // Tested cells: BR, MX (FUS.SUPPRESS.audio), CO (THR.MARGIN); AR is too few. BH with m = 3.
    const pBR = pz(10, 200, 40, 200), pCO = pz(30, 200, 5, 200);
    near(by.BR.p, pBR);
    // Ascending p: BR < CO < MX (= 1). Step-up: q(CO) = pCO · 3/2, q(BR) = min(pBR · 3/1, q(CO)).
    expect(pBR).toBeLessThan(pCO);
    const qCO = pCO * 3 / 2;
    near(by.BR.q, Math.min(pBR * 3, qCO));
    expect(by.MX.q).toBeCloseTo(1, 9);
    expect(r.collateral).toEqual([expect.objectContaining({ region: 'CO', signature: 'THR.MARGIN', verdict: 'regressed' })]);
    near(r.collateral[0].q, qCO);
    // Recovered: BR (0.20 − 0.05) · 200 = 30, shared evenly with B → 15; MX 0; AR (0.20 − 0.05) · 20 = 3.
    expect(by.BR.shared_with).toEqual([ids.B]);
    expect(by.BR.recovered).toBeCloseTo(15, 9);
    expect(by.AR.recovered).toBeCloseTo(3, 9);
    expect(r.summary.recovered).toBeCloseTo(18, 9);
    // Overall: 69/620 failures before, 61/620 after → gain (69 − 61) = 8; share 18 / 8.
    expect(r.summary.overall_gain).toBeCloseTo(8, 9);
    expect(r.summary.attributable_share).toBeCloseTo(2.25, 9);
    expect(r.summary.weakly_attributable).toBe(false);
  });

  it('says harmful when a targeted rate rose, and reports a version at once', async () => {
    const r = (await api(`/v1/models/${M}/versions/2/attribution`)).data;
    expect(r.reports.map((x: any) => x.intervention.id)).toEqual([ids.A, ids.B, ids.C]);
    const c = r.reports[2];
    expect(c.targeted).toEqual([expect.objectContaining({ region: 'CO', signature: 'THR.MARGIN', verdict: 'harmful' })]);
    expect(c.summary.recovered).toBeCloseTo((5 / 200 - 30 / 200) * 200, 9);
    expect(c.summary.weakly_attributable).toBe(true);
    expect(c.collateral.map((x: any) => [x.region, x.verdict])).toEqual([['BR', 'improved']]);
    const b = r.reports[1];
    expect(b.targeted.map((x: any) => [x.region, x.verdict, x.shared_with])).toEqual([['BR', 'effective', [ids.A]]]);
    expect(b.summary.recovered).toBeCloseTo(15, 9);
  });

  it('handles a version without predecessor', async () => {
    const rec = await record({ intervention: 'EVAL.PROBE', model: { id: M, version: '1' }, targets: { signatures: ['UNPROBED'], regions: ['*'] } });
    expect(rec.status).toBe(201);
    const r = (await api(`/v1/interventions/${rec.data.id}/attribution`)).data;
    expect(r.before).toBeNull();
    expect(r.targeted).toEqual([]);
    expect(r.summary.attributable_share).toBeNull();
  });

  it('rejects bad records with the field named, storing nothing', async () => {
    const before = (await api('/v1/interventions')).data.interventions.length;
    const t = { signatures: ['FUS.SUPPRESS'], regions: ['BR'] };
    const cases: Array<[Record<string, unknown>, number, RegExp, string?]> = [
      [{ intervention: 'NOPE', targets: t }, 400, /^intervention:/],
      [{ intervention: 'INF.THRESHOLD', model: { id: M, version: '9' }, targets: t }, 400, /^model\.version:/],
      [{ intervention: 'INF.THRESHOLD', targets: { signatures: ['X.Y'], regions: ['BR'] } }, 400, /^targets\.signatures\[0\]/],
      [{ intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['QQ'] } }, 400, /^targets\.regions/],
      [{ intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['BR'], policies: ['nope'] } }, 400, /^targets\.policies\[0\]/],
      [{ intervention: 'INF.THRESHOLD', targets: t, applied_at: 'yesterday' }, 400, /applied_at/],
      [{ intervention: 'INF.THRESHOLD', targets: t }, 403, /intervene/, await createKey(['BR'], ['read', 'submit'])],
    ];
    for (const [body, status, msg, token] of cases) {
      const r = await record(body, token);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.data.error.message).toMatch(msg);
    }
    const brKey = await createKey(['BR'], ['intervene', 'read']);
    expect((await record({ intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['MX'] } }, brKey)).status).toBe(403);
    expect((await api('/v1/interventions')).data.interventions.length).toBe(before);
    const ok = await record({ intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['BR'] } }, brKey);
    expect(ok.status).toBe(201);
    expect(ok.data.created_by).toMatch(/^key_/);
  });
});
