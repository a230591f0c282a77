// A small world with known attribution verdicts, shared by the JSON and the page tests:
// four regions × two versions of one model, and three interventions recorded in version 2.
//   BR: FUS.SUPPRESS.audio 40/200 → 10/200 (effective)    MX: 20/200 → 20/200 (no effect)
//   AR: 4/20 → 1/20 (too few)                              CO: THR.MARGIN 5/200 → 30/200
//   A  TRAIN.MODALITY_DROPOUT on FUS.SUPPRESS in BR, MX, AR (shares BR with B)
//   B  DATA.TARGETED on FUS.SUPPRESS.audio in BR for hate.slur
//   C  INF.THRESHOLD on THR.MARGIN in CO (harmful; BR's fall is collateral)
import { expect } from 'vitest';
import { api, item, submit } from './helpers.ts';

const tn = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.1 } });
const fus = (id: string) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const thr = (id: string) => item(id, { label: { violating: false }, prediction: { score: 0.55 } });
const slice = (k: number, n: number, f: (id: string) => unknown) =>
  [...Array.from({ length: k }, (_, i) => f(`f${i}`)), ...Array.from({ length: n - k }, (_, i) => tn(`t${i}`))];

export const versions = (model: string) => ({
  V1: { id: model, version: '1', stage: 'sft' },
  V2: { id: model, version: '2', stage: 'alignment' },
});

export function recordIn(model: string) {
  return (body: Record<string, unknown>, token?: string) =>
    api('/v1/interventions', { method: 'POST', json: { applied_at: '2026-11-01T00:00:00Z', model: { id: model, version: '2' }, ...body }, token });
}

/** Submits the slices and records A, B and C; returns their ids. */
export async function seedAttributionWorld(model: string, noteA = 'dropout 0.3'): Promise<Record<'A' | 'B' | 'C', string>> {
  const { V1, V2 } = versions(model);
  const plan: Array<[string, typeof V1, number, number, (id: string) => unknown]> = [
    ['BR', V1, 40, 200, fus], ['MX', V1, 20, 200, fus], ['AR', V1, 4, 20, fus], ['CO', V1, 5, 200, thr],
    ['BR', V2, 10, 200, fus], ['MX', V2, 20, 200, fus], ['AR', V2, 1, 20, fus], ['CO', V2, 30, 200, thr],
  ];
  for (const [region, m, k, n, f] of plan) {
    const r = await submit(region, { slice_id: `${model}-${region}-${m.version}`, model: m, items: slice(k, n, f) });
    expect(r.status).toBe(201);
  }
  const record = recordIn(model);
  const ids = {} as Record<'A' | 'B' | 'C', string>;
  for (const [name, body] of Object.entries({
    A: { intervention: 'TRAIN.MODALITY_DROPOUT', targets: { signatures: ['FUS.SUPPRESS'], regions: ['BR', 'MX', 'AR'] }, note: noteA },
    B: { intervention: 'DATA.TARGETED', targets: { signatures: ['FUS.SUPPRESS.audio'], regions: ['BR'], policies: ['hate.slur'] } },
    C: { intervention: 'INF.THRESHOLD', targets: { signatures: ['THR.MARGIN'], regions: ['CO'] } },
  }) as Array<['A' | 'B' | 'C', Record<string, unknown>]>) {
    const r = await record(body);
    expect(r.status).toBe(201);
    ids[name] = r.data.id;
  }
  return ids;
}
