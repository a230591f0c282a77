// Region overrides of intervention mappings: ranking arithmetic, audit trail, bad input.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';

const MODEL = { id: 'avlm', version: '7', stage: 'sft' };
const scorecard = () => api(`/v1/regions/DE/scorecard?model=avlm&version=7`).then((r) => r.data);

// Five FN on hate.slur (severity 4) where audio alone fires but fusion drowns it.
const suppressed = (i: number) => item(`fs${i}`, {
  policy: 'hate.slur', label: { violating: true, evidence: ['audio'] },
  prediction: { score: 0.1 }, probes: { audio_only: 0.9 },
});

describe('intervention overrides', () => {
  beforeAll(async () => {
    const r = await submit('DE', { slice_id: 'ov-1', model: MODEL, items: [0, 1, 2, 3, 4].map(suppressed) });
    expect(r.status).toBe(201);
    expect(r.data.by_signature).toEqual({ 'FUS.SUPPRESS.audio': 5 });
  });

  it('ranks by failures × weight × severity ÷ cost, showing the arithmetic', async () => {
    const sc = await scorecard();
    // TRAIN.MODALITY_DROPOUT: 5 × 0.6 × 4 = 12, high cost 9 → 1.3333; DATA.TARGETED: 5 × 0.3 × 4 = 6 → 0.6667.
    expect(sc.recommendations.map((r: any) => r.intervention)).toEqual(['TRAIN.MODALITY_DROPOUT', 'DATA.TARGETED']);
    const top = sc.recommendations[0];
    expect(top.recoverable).toBeCloseTo(12, 10);
    expect(top.cost).toBe(9);
    expect(top.score).toBeCloseTo(12 / 9, 10);
    expect(top.terms).toEqual([{ signature: 'FUS.SUPPRESS.audio', policy: 'hate.slur', failures: 5, weight: 0.6, severity: 4 }]);
    expect(sc.recommendations[1].score).toBeCloseTo(6 / 9, 10);
  });

  it('an override changes the ranking, is audited, and DELETE restores the default', async () => {
    const put = await api('/v1/regions/DE/interventions/FUS.SUPPRESS', { method: 'PUT', json: { interventions: [{ code: 'INF.THRESHOLD', weight: 0.2 }] } });
    expect(put.status).toBe(200);
    expect(put.data.previous.map((e: any) => e.code)).toEqual(['TRAIN.MODALITY_DROPOUT', 'DATA.TARGETED']);
    let sc = await scorecard();
    // INF.THRESHOLD: 5 × 0.2 × 4 = 4, low cost 1 → 4; the defaults no longer apply in DE.
    expect(sc.recommendations).toHaveLength(1);
    expect(sc.recommendations[0]).toMatchObject({ intervention: 'INF.THRESHOLD', cost: 1 });
    expect(sc.recommendations[0].score).toBeCloseTo(4, 10);

    const sig = await api('/v1/signatures/FUS.SUPPRESS.audio?region=DE&model=avlm&version=7');
    expect(sig.data.overridden).toBe(true);
    expect(sig.data.interventions.map((e: any) => [e.code, e.weight])).toEqual([['INF.THRESHOLD', 0.2]]);
    expect(sig.data.region.count).toBe(5);

    // Another region keeps the default.
    const other = await api('/v1/signatures/FUS.SUPPRESS?region=FR');
    expect(other.data.overridden).toBe(false);

    const del = await api('/v1/regions/DE/interventions/FUS.SUPPRESS', { method: 'DELETE' });
    expect(del.status).toBe(200);
    sc = await scorecard();
    expect(sc.recommendations[0].intervention).toBe('TRAIN.MODALITY_DROPOUT');

    const audit = await api('/v1/regions/DE/interventions/audit');
    expect(audit.data.entries.map((e: any) => [e.signature, e.action, e.actor])).toEqual([
      ['FUS.SUPPRESS', 'set', 'admin'], ['FUS.SUPPRESS', 'delete', 'admin'],
    ]);
    expect(audit.data.entries[0].new).toEqual([{ code: 'INF.THRESHOLD', weight: 0.2 }]);
    expect(audit.data.entries[0].old[0]).toEqual({ code: 'TRAIN.MODALITY_DROPOUT', weight: 0.6 });
    expect(audit.data.entries[1].old).toEqual([{ code: 'INF.THRESHOLD', weight: 0.2 }]);
    expect(Date.parse(audit.data.entries[0].at)).not.toBeNaN();
  });

  it('rejects bad overrides with a 4xx naming the field, writing nothing', async () => {
    const before = (await api('/v1/regions/DE/interventions/audit')).data.entries.length;
    const put = (sig: string, interventions: unknown, token?: string) =>
      api(`/v1/regions/DE/interventions/${sig}`, { method: 'PUT', json: { interventions }, token });
    const cases: Array<[Awaited<ReturnType<typeof put>>, number, RegExp]> = [
      [await put('FUS.SUPPRESS', [{ code: 'INF.THRESHOLD', weight: 0 }]), 400, /interventions\[0\]\.weight/],
      [await put('FUS.SUPPRESS', [{ code: 'INF.THRESHOLD', weight: 1.5 }]), 400, /interventions\[0\]\.weight/],
      [await put('FUS.SUPPRESS', [{ code: 'NOPE.X', weight: 0.5 }]), 400, /interventions\[0\]\.code/],
      [await put('FUS.SUPPRESS', []), 400, /1 to 4/],
      [await put('FUS.SUPPRESS', ['INF.THRESHOLD', 'INF.CALIBRATE', 'EVAL.PROBE', 'DATA.TARGETED', 'LABEL.RELABEL'].map((code) => ({ code, weight: 0.1 }))), 400, /1 to 4/],
      [await put('NOT.A.SIG', [{ code: 'INF.THRESHOLD', weight: 0.5 }]), 400, /signature/],
      [await put('PER.MISS.audio', [{ code: 'INF.THRESHOLD', weight: 0.5 }]), 400, /family code PER\.MISS/],
      [await put('FUS.SUPPRESS', [{ code: 'INF.THRESHOLD', weight: 0.5 }], await createKey(['DE'], ['submit', 'read'])), 403, /admin/],
      [await put('FUS.SUPPRESS', [{ code: 'INF.THRESHOLD', weight: 0.5 }], 'wrong'), 401, /key/],
    ];
    for (const [res, status, msg] of cases) {
      expect(res.status).toBe(status);
      expect(res.data.error.message).toMatch(msg);
    }
    expect((await api('/v1/regions/ZZ/interventions/FUS.SUPPRESS', { method: 'PUT', json: { interventions: [{ code: 'INF.THRESHOLD', weight: 0.5 }] } })).status).toBe(404);
    expect((await api('/v1/regions/DE/interventions/POL.GAP', { method: 'DELETE' })).status).toBe(404);
    expect((await api('/v1/regions/DE/interventions/audit')).data.entries).toHaveLength(before);
    const sig = await api('/v1/signatures/FUS.SUPPRESS?region=DE');
    expect(sig.data.overridden).toBe(false);
  });
});
