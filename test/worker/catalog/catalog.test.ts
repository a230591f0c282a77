// Catalogue routes (SPEC §2, §4, §5, §8): regions, policies, taxonomy, signatures (with a
// region's rate, recomputed here by hand).
import { describe, it, expect, beforeAll } from 'vitest';
import { api, item, submit } from '../helpers.ts';
import { expectError, expectRate, wilsonRef } from '../reference.ts';
import { POLICIES } from '../../../taxonomy/policies.ts';
import { SIGNATURE_INTERVENTIONS } from '../../../taxonomy/mappings.ts';

describe('GET /v1/regions', () => {
  it('lists at least 120 seeded regions with names and languages', async () => {
    const r = await api('/v1/regions');
    expect(r.status).toBe(200);
    const regions = r.data.regions as Array<{ code: string; name: string; languages: string[] }>;
    expect(regions.length).toBeGreaterThanOrEqual(120);
    const codes = regions.map((x) => x.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(codes);
    for (const x of regions) {
      expect(x.code).toMatch(/^[A-Z]{2}$/);
      expect(typeof x.name).toBe('string');
      expect(x.name.length).toBeGreaterThan(0);
      expect(Array.isArray(x.languages)).toBe(true);
      for (const l of x.languages) expect(l).toMatch(/^[a-z]{2,3}$/);
    }
    const by = new Map(regions.map((x) => [x.code, x]));
    expect(by.get('BR')).toMatchObject({ name: 'Brazil' });
    expect(by.get('BR')!.languages).toContain('pt');
    expect(by.get('DE')).toMatchObject({ name: 'Germany' });
    expect(by.get('DE')!.languages).toContain('de');
    expect(by.get('JP')!.languages).toContain('ja');
    expect(by.get('IN')!.languages).toEqual(expect.arrayContaining(['hi', 'en']));
    // Most regions have at least one language.
    expect(regions.filter((x) => x.languages.length > 0).length).toBeGreaterThanOrEqual(120);
  });
});

describe('GET /v1/policies', () => {
  it('lists the policies in position order with the severity and threshold of taxonomy/policies.ts', async () => {
    const r = await api('/v1/policies');
    expect(r.status).toBe(200);
    const ps = r.data.policies as Array<{ code: string; name: string; severity: number; threshold: number }>;
    expect(ps.map((p) => p.code)).toEqual(POLICIES.map((p) => p.code));
    for (let i = 0; i < POLICIES.length; i++) {
      expect(ps[i]).toMatchObject({ code: POLICIES[i].code, name: POLICIES[i].name, severity: POLICIES[i].severity, threshold: POLICIES[i].threshold });
    }
    // The SPEC §2 policies are all there.
    for (const code of ['adult.nudity', 'violence.graphic', 'hate.slur', 'minor.safety', 'dangerous.acts', 'spam.scam', 'regulated.goods', 'self_harm']) {
      expect(ps.map((p) => p.code)).toContain(code);
    }
  });
});

// SPEC §5, written out independently of taxonomy/interventions.ts.
const SPEC_INTERVENTIONS: Record<string, [lever: string, stage: string | null, cost: 'low' | 'medium' | 'high']> = {
  'DATA.TARGETED': ['data', 'sft', 'high'],
  'DATA.COUNTEREX': ['data', 'sft', 'medium'],
  'DATA.ADVERSARIAL': ['data', 'sft/alignment', 'medium'],
  'LABEL.GUIDELINE': ['evaluation', null, 'low'],
  'LABEL.RELABEL': ['evaluation', null, 'low'],
  'TRAIN.MODALITY_DROPOUT': ['training', 'pretrain/sft', 'high'],
  'TRAIN.ENCODER': ['architecture', 'pretrain', 'high'],
  'TRAIN.POLICY_SFT': ['training', 'sft', 'medium'],
  'TRAIN.REGION_ADAPTER': ['training', 'sft', 'medium'],
  'ALIGN.GROUNDING': ['alignment', 'alignment', 'medium'],
  'ALIGN.FORMAT': ['alignment', 'alignment', 'low'],
  'ARCH.SAMPLING': ['architecture', 'production', 'medium'],
  'ARCH.ASR_LANG': ['architecture', 'pretrain', 'high'],
  'INF.THRESHOLD': ['inference', 'production', 'low'],
  'INF.CALIBRATE': ['inference', 'production', 'low'],
  'INF.SMOOTHING': ['inference', 'production', 'low'],
  'INF.POLICY_PROMPT': ['inference', 'production', 'low'],
  'EVAL.PROBE': ['evaluation', null, 'low'],
};
const COST = { low: 1, medium: 3, high: 9 };
const ITEM_FAMILIES = ['LBL.AMBIG', 'OUT.FORMAT', 'ADV.EVASION', 'LANG.ASR', 'PER.MISS', 'FUS.SUPPRESS', 'FUS.SHORTCUT',
  'POL.GAP', 'GRD.HALLUC', 'TMP.FLIP', 'TMP.LATE', 'THR.MARGIN', 'UNPROBED', 'UNEXPLAINED'];
const SLICE_CODES = ['CAL.MISFIT', 'REG.DISPARITY', 'VER.REGRESSION', 'DIST.SHIFT'];

describe('GET /v1/taxonomy', () => {
  it('has a version, every signature family and the 4 slice-level ones, each with 1–4 weighted interventions', async () => {
    const r = await api('/v1/taxonomy');
    expect(r.status).toBe(200);
    expect(r.data.version).toBe('1.0.0');
    const sigs = r.data.signatures as Array<{ code: string; level: string; description: string; rule: string; interventions: Array<{ code: string; weight: number }> }>;
    expect(sigs.map((s) => s.code).sort()).toEqual([...ITEM_FAMILIES, ...SLICE_CODES].sort());
    // Item families come in precedence order (SPEC §4 table order).
    expect(sigs.filter((s) => s.level === 'item').map((s) => s.code)).toEqual(ITEM_FAMILIES);
    expect(sigs.filter((s) => s.level === 'slice').map((s) => s.code).sort()).toEqual([...SLICE_CODES].sort());
    const interventionCodes = new Set(Object.keys(SPEC_INTERVENTIONS));
    for (const s of sigs) {
      expect(s.description.length, s.code).toBeGreaterThan(0);
      expect(s.rule.length, s.code).toBeGreaterThan(0);
      expect(s.interventions.length, s.code).toBeGreaterThanOrEqual(1);
      expect(s.interventions.length, s.code).toBeLessThanOrEqual(4);
      expect(new Set(s.interventions.map((i) => i.code)).size).toBe(s.interventions.length);
      for (const i of s.interventions) {
        expect(interventionCodes.has(i.code), `${s.code} → ${i.code}`).toBe(true);
        expect(i.weight).toBeGreaterThan(0);
        expect(i.weight).toBeLessThanOrEqual(1);
      }
      // The served mapping is the taxonomy's default mapping.
      const def = SIGNATURE_INTERVENTIONS[s.code as keyof typeof SIGNATURE_INTERVENTIONS];
      expect(Object.fromEntries(s.interventions.map((i) => [i.code, i.weight]))).toEqual(Object.fromEntries(def.map((d) => [d.code, d.weight])));
    }
    expect(sigs.find((s) => s.code === 'THR.MARGIN')!.rule).toContain('0.10');
  });

  it('lists all 18 interventions with the lever, stage and cost of SPEC §5', async () => {
    const r = await api('/v1/taxonomy');
    const ints = r.data.interventions as Array<{ code: string; lever: string; stage: string | null; cost: string; cost_value: number; description: string }>;
    expect(ints).toHaveLength(18);
    expect(ints.map((i) => i.code).sort()).toEqual(Object.keys(SPEC_INTERVENTIONS).sort());
    for (const i of ints) {
      const [lever, stage, cost] = SPEC_INTERVENTIONS[i.code];
      expect(i, i.code).toMatchObject({ lever, stage, cost, cost_value: COST[cost] });
      expect(i.description.length).toBeGreaterThan(0);
    }
  });
});

// A region with known signature counts for the rate on GET /v1/signatures/{code}.
const REGION = 'PT';
const MODEL = { id: 'avlm-cat', version: '7', stage: 'production' } as const;
const T = 0.5; // hate.slur default threshold

function fnPerMiss(id: string, m: 'audio' | 'visual') {
  return item(id, { label: { violating: true, evidence: [m] }, prediction: { score: 0.1 }, probes: { [`${m}_only`]: 0.2 } });
}

describe('GET /v1/signatures/{code}', () => {
  beforeAll(async () => {
    const items = [
      fnPerMiss('pm-a1', 'audio'), fnPerMiss('pm-a2', 'audio'), fnPerMiss('pm-a3', 'audio'),
      fnPerMiss('pm-v1', 'visual'),
      item('thr', { label: { violating: false }, prediction: { score: T + 0.05 } }), // FP, THR.MARGIN
      item('amb', { label: { violating: false, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false }] }, prediction: { score: 0.9 } }),
      item('p1', { label: undefined }), item('p2', { label: undefined, prediction: undefined }),
      ...Array.from({ length: 30 }, (_, i) => item(`tn-${i}`)),
    ];
    const r = await submit(REGION, { slice_id: 'cat-1', model: MODEL, items });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ items: 38, failures: 6, excluded: 1, pending: 2 });
    expect(r.data.by_signature).toEqual({ 'PER.MISS.audio': 3, 'PER.MISS.visual': 1, 'THR.MARGIN': 1, 'LBL.AMBIG': 1 });
  });

  it('describes PER.MISS.audio with its family and interventions', async () => {
    const r = await api('/v1/signatures/PER.MISS.audio');
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ code: 'PER.MISS.audio', family: 'PER.MISS', level: 'item', overridden: false });
    expect(r.data.rule).toContain('_only');
    expect(r.data.interventions.map((i: any) => [i.code, i.weight])).toEqual([['TRAIN.ENCODER', 0.5], ['DATA.TARGETED', 0.4], ['ARCH.SAMPLING', 0.3]]);
    expect(r.data.region).toBeUndefined();
  });

  it('fills the modality placeholder of a concrete code, and keeps it for the family', async () => {
    const sup = (await api('/v1/signatures/FUS.SUPPRESS.audio')).data;
    expect(sup.description).toBe('audio was perceived alone but drowned in fusion');
    expect(sup.rule).toBe('FN and fires(audio_only) (audio = highest such probe)');
    expect((await api('/v1/signatures/PER.MISS.visual')).data.description).toBe('modality visual was not perceived');
    const fam = (await api('/v1/signatures/FUS.SUPPRESS')).data;
    expect(fam.description).toBe('m was perceived alone but drowned in fusion');
    expect((await api('/v1/signatures/THR.MARGIN')).data.description).not.toMatch(/\baudio\b/);
  });

  it('with ?region=&model=&version= gives the count and a Wilson rate equal to the hand computation', async () => {
    const r = await api(`/v1/signatures/PER.MISS.audio?region=${REGION}&model=${MODEL.id}&version=${MODEL.version}`);
    expect(r.status).toBe(200);
    expect(r.data.region).toMatchObject({ region: REGION, model: MODEL.id, version: MODEL.version, count: 3 });
    // n = items − excluded − pending = 38 − 1 − 2 = 35; k = 3.
    const n = 35;
    const z = 1.959964;
    const p = 3 / n;
    const centre = (3 + (z * z) / 2) / (n + z * z);
    const half = (z * Math.sqrt(n) / (n + z * z)) * Math.sqrt(p * (1 - p) + (z * z) / (4 * n));
    expect(r.data.region.rate.value).toBeCloseTo(3 / 35, 12);
    expect(r.data.region.rate.low).toBeCloseTo(centre - half, 10);
    expect(r.data.region.rate.high).toBeCloseTo(centre + half, 10);
    expect(r.data.region.rate.low).toBeCloseTo(0.029582, 5); // sanity (checked in Python): 3/35 → [0.029582, 0.223793]
    expect(r.data.region.rate.high).toBeCloseTo(0.223793, 5);
    expect(r.data.region.rate).toMatchObject({ n: 35, too_few: false });
  });

  it('a family code counts every modality; LBL.AMBIG is a rate over all labelled items', async () => {
    const fam = await api(`/v1/signatures/PER.MISS?region=${REGION}&model=${MODEL.id}&version=${MODEL.version}`);
    expect(fam.status).toBe(200);
    expect(fam.data.family).toBe('PER.MISS');
    expect(fam.data.region.count).toBe(4);
    expectRate(fam.data.region.rate, 4, 35);
    const amb = await api(`/v1/signatures/LBL.AMBIG?region=${REGION}&model=${MODEL.id}&version=${MODEL.version}`);
    expect(amb.data.region.count).toBe(1);
    expectRate(amb.data.region.rate, 1, 36); // items − pending
  });

  it('without model/version it uses the latest model version with data in the region', async () => {
    const r = await api(`/v1/signatures/THR.MARGIN?region=${REGION}`);
    expect(r.status).toBe(200);
    expect(r.data.region).toMatchObject({ model: MODEL.id, version: MODEL.version, count: 1 });
    expect(r.data.region.rate.value).toBeCloseTo(wilsonRef(1, 35).value, 12);
  });

  it('a region without data shows a zero count and no rate', async () => {
    const r = await api('/v1/signatures/THR.MARGIN?region=NO');
    expect(r.status).toBe(200);
    expect(r.data.region).toMatchObject({ region: 'NO', model: null, version: null, count: 0 });
    expect(r.data.region.rate).toMatchObject({ value: null, n: 0, too_few: true });
  });

  it('model without version is 400 naming `version`', async () => {
    const e = expectError(await api(`/v1/signatures/THR.MARGIN?region=${REGION}&model=${MODEL.id}`), 400);
    expect(e.message).toContain('version');
  });

  it('slice-level signatures are served too', async () => {
    const r = await api('/v1/signatures/CAL.MISFIT');
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ code: 'CAL.MISFIT', family: 'CAL.MISFIT', level: 'slice' });
    expect(r.data.interventions.map((i: any) => i.code)).toEqual(['INF.CALIBRATE', 'INF.THRESHOLD']);
  });

  it('an unknown code is 404', async () => {
    for (const code of ['NOPE', 'PER.MISS.smell', 'per.miss.audio', 'THR.MARGIN.audio']) {
      const e = expectError(await api(`/v1/signatures/${code}`), 404, 'not_found');
      expect(e.message).toContain(code);
    }
  });
});
