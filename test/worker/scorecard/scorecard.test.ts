// Region scorecard (SPEC §5, §8, §9) after two slices: counts, Wilson 95 % rates (recomputed
// here with an independent formula), per-policy cells, too_few, and the recommendations'
// arithmetic (failures × weight × severity / cost), re-checked term by term.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { expectError, expectRate, wilsonRef } from '../reference.ts';

const REGION = 'DE';
const MODEL = { id: 'avlm-sc', version: '2', stage: 'alignment' } as const;
const URL_ = `/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=${MODEL.version}`;

let seq = 0;
const it_ = (policy: string, over: Record<string, unknown>) => ({ item_id: `x-${seq++}`, surface: 'vod', policy, ...over });
const times = <T>(n: number, f: () => T) => Array.from({ length: n }, f);

// hate.slur: T 0.5, severity 4. spam.scam: T 0.6, severity 2.
const perMissAudio = () => it_('hate.slur', { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.1 } });
const thrHate = () => it_('hate.slur', { label: { violating: false }, prediction: { score: 0.58 } });
const ambig = () => it_('hate.slur', { label: { violating: false, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: true }] }, prediction: { score: 0.95 } });
const pending = () => it_('hate.slur', { prediction: { score: 0.4 } });
const tnHate = () => it_('hate.slur', { label: { violating: false }, prediction: { score: 0.05 } });
const tpHate = () => it_('hate.slur', { label: { violating: true }, prediction: { score: 0.95 } });
const unprobed = () => it_('hate.slur', { label: { violating: true }, prediction: { score: 0.2 } });
const polGap = () => it_('hate.slur', { label: { violating: true }, prediction: { score: 0.2 }, probes: { policy_context: 0.8 } });
const shortcut = () => it_('spam.scam', { label: { violating: false }, prediction: { score: 0.9 }, probes: { visual_only: 0.95, no_visual: 0.1 } });
const thrSpam = () => it_('spam.scam', { label: { violating: false }, prediction: { score: 0.65 } });
const tnSpam = () => it_('spam.scam', { label: { violating: false }, prediction: { score: 0.1 } });

const SLICE_1 = [...times(3, perMissAudio), ...times(2, thrHate), ambig(), ...times(2, pending), ...times(17, tnHate)];
const SLICE_2 = [perMissAudio(), ...times(2, unprobed), polGap(), ...times(11, tpHate), ...times(2, shortcut), thrSpam(), ...times(7, tnSpam)];

// Hand counts.
// hate.slur: 25 + 15 = 40 items; failures 3+2+1 + 1+2+1 = 10; excluded 1 (ambig); pending 2.
// spam.scam: 10 items; failures 3 (2 shortcut, 1 THR); nothing excluded or pending.
const HATE = { items: 40, failures: 10, excluded: 1, pending: 2 };
const SPAM = { items: 10, failures: 3, excluded: 0, pending: 0 };
const ALL = { items: 50, failures: 13, excluded: 1, pending: 2 };

/** (k, n) of a rate per §9: k = failures − excluded, n = items − excluded − pending. */
const kn = (c: typeof ALL) => [c.failures - c.excluded, c.items - c.excluded - c.pending] as const;

let sc: any;

beforeAll(async () => {
  const a = await submit(REGION, { slice_id: 'sc-1', model: MODEL, items: SLICE_1 });
  expect(a.status, JSON.stringify(a.data)).toBe(201);
  expect(a.data).toMatchObject({ items: 25, failures: 6, excluded: 1, pending: 2 });
  const b = await submit(REGION, { slice_id: 'sc-2', model: MODEL, items: SLICE_2 }, { ndjson: true });
  expect(b.status, JSON.stringify(b.data)).toBe(201);
  expect(b.data).toMatchObject({ items: 25, failures: 7, excluded: 0, pending: 0 });
  // Noise that must not leak in: the same model version in another region, another version here.
  expect((await submit('AT', { slice_id: 'sc-noise', model: MODEL, items: times(5, unprobed) })).status).toBe(201);
  expect((await submit(REGION, { slice_id: 'sc-noise-v3', model: { ...MODEL, version: '3' }, items: times(5, unprobed) })).status).toBe(201);
  const r = await api(URL_);
  expect(r.status, JSON.stringify(r.data)).toBe(200);
  sc = r.data;
});

describe('GET /v1/regions/{region}/scorecard', () => {
  it('names the region and the model version with its stage', () => {
    expect(sc.region).toBe(REGION);
    expect(sc.model).toEqual(MODEL);
    expect(sc.taxonomy_version).toBe('1.0.0');
  });

  it('counts both slices: items, failures, excluded, pending, outcomes', () => {
    expect(sc).toMatchObject(ALL);
    // TP 11; TN 17 + 7; FP 2 THR + 1 ambig + 2 shortcut + 1 THR spam; FN 4 PER.MISS + 2 UNPROBED + 1 POL.GAP.
    expect(sc.outcomes).toEqual({ tp: 11, tn: 24, fp: 6, fn: 7 });
  });

  it('failure_rate is the hand-computed Wilson 95 % interval of (failures − excluded) / (items − excluded − pending)', () => {
    const [k, n] = kn(ALL);
    expect([k, n]).toEqual([12, 47]);
    expectRate(sc.failure_rate, k, n);
    // Written out once more in the plainest form: p ± z·sqrt(p(1−p)/n + z²/4n²), centred and scaled.
    const z = 1.959964;
    const p = 12 / 47;
    const centre = (p + (z * z) / (2 * 47)) / (1 + (z * z) / 47);
    const half = (z / (1 + (z * z) / 47)) * Math.sqrt((p * (1 - p)) / 47 + (z * z) / (4 * 47 * 47));
    expect(sc.failure_rate.low).toBeCloseTo(centre - half, 12);
    expect(sc.failure_rate.high).toBeCloseTo(centre + half, 12);
    expect(sc.failure_rate.low).toBeCloseTo(0.152532, 5); // checked in Python: 12/47 → [0.152532, 0.395082]
    expect(sc.failure_rate.high).toBeCloseTo(0.395082, 5);
  });

  it('by_signature: counts and rates (n = items − excluded − pending; LBL.AMBIG over all labelled items)', () => {
    const [, n] = kn(ALL);
    const expected: Array<[string, number]> = [
      ['PER.MISS.audio', 4], ['THR.MARGIN', 3], ['FUS.SHORTCUT.visual', 2], ['UNPROBED', 2], ['LBL.AMBIG', 1], ['POL.GAP', 1],
    ];
    expect(sc.by_signature.map((s: any) => [s.code, s.count])).toEqual(expected);
    for (const s of sc.by_signature) {
      expectRate(s.rate, s.count, s.code === 'LBL.AMBIG' ? ALL.items - ALL.pending : n);
    }
    // The primary signatures partition the failures.
    expect(sc.by_signature.reduce((t: number, s: any) => t + s.count, 0)).toBe(ALL.failures);
  });

  it('by_policy: one entry per policy in policy order, with severity, threshold, counts and rates', () => {
    expect(sc.by_policy.map((p: any) => p.policy)).toEqual(['hate.slur', 'spam.scam']);
    const [hate, spam] = sc.by_policy;
    expect(hate).toMatchObject({ policy: 'hate.slur', severity: 4, threshold: 0.5, ...HATE });
    expect(spam).toMatchObject({ policy: 'spam.scam', severity: 2, threshold: 0.6, ...SPAM });
    expect(hate.outcomes).toEqual({ tp: 11, tn: 17, fp: 3, fn: 7 });
    expect(spam.outcomes).toEqual({ tp: 0, tn: 7, fp: 3, fn: 0 });

    const [hk, hn] = kn(HATE);
    expect([hk, hn]).toEqual([9, 37]);
    expectRate(hate.failure_rate, hk, hn);
    expect(hate.failure_rate.too_few).toBe(false);
    expect(hate.by_signature.map((s: any) => [s.code, s.count])).toEqual([
      ['PER.MISS.audio', 4], ['THR.MARGIN', 2], ['UNPROBED', 2], ['LBL.AMBIG', 1], ['POL.GAP', 1],
    ]);
    for (const s of hate.by_signature) expectRate(s.rate, s.count, s.code === 'LBL.AMBIG' ? 38 : 37);
  });

  it('a cell with fewer than 30 items is flagged too_few', () => {
    const spam = sc.by_policy[1];
    const [k, n] = kn(SPAM);
    expect(n).toBe(10);
    expectRate(spam.failure_rate, k, n);
    expect(spam.failure_rate.too_few).toBe(true);
    for (const s of spam.by_signature) {
      expect(s.rate.too_few).toBe(true);
      expectRate(s.rate, s.count, 10);
    }
    expect(spam.by_signature.map((s: any) => [s.code, s.count])).toEqual([['FUS.SHORTCUT.visual', 2], ['THR.MARGIN', 1]]);
  });

  it('recommendations: every term re-checked, recoverable = Σ failures × weight × severity, score = recoverable / cost', async () => {
    const tax = (await api('/v1/taxonomy')).data;
    const costOf = new Map<string, number>(tax.interventions.map((i: any) => [i.code, ({ low: 1, medium: 3, high: 9 } as any)[i.cost]]));
    const leverOf = new Map<string, string>(tax.interventions.map((i: any) => [i.code, i.lever]));
    const weightOf = new Map<string, number>();
    for (const s of tax.signatures) for (const i of s.interventions) weightOf.set(`${s.code}|${i.code}`, i.weight);
    const family = (code: string) => code.replace(/\.(audio|visual|text)$/, '');
    const severity: Record<string, number> = { 'hate.slur': 4, 'spam.scam': 2 };
    // Failures per (primary signature, policy), from the by_policy cells.
    const failuresOf = new Map<string, number>();
    for (const p of sc.by_policy) for (const s of p.by_signature) failuresOf.set(`${s.code}|${p.policy}`, s.count);

    expect(sc.recommendations.length).toBeGreaterThan(0);
    for (const r of sc.recommendations) {
      expect(r.cost).toBe(costOf.get(r.intervention));
      expect(r.lever).toBe(leverOf.get(r.intervention));
      let sum = 0;
      for (const t of r.terms) {
        expect(t.failures).toBe(failuresOf.get(`${t.signature}|${t.policy}`));
        expect(t.weight).toBe(weightOf.get(`${family(t.signature)}|${r.intervention}`));
        expect(t.severity).toBe(severity[t.policy]);
        sum += t.failures * t.weight * t.severity;
      }
      expect(r.recoverable).toBeCloseTo(sum, 10);
      expect(r.score).toBeCloseTo(r.recoverable / r.cost, 10);
      expect(r.recoverable).toBeGreaterThan(0);
    }
    // Every (signature, policy) with failures feeds every intervention its family maps to.
    const termCount = sc.recommendations.reduce((t: number, r: any) => t + r.terms.length, 0);
    let expectedTerms = 0;
    for (const [key] of failuresOf) expectedTerms += tax.signatures.find((s: any) => s.code === family(key.split('|')[0])).interventions.length;
    expect(termCount).toBe(expectedTerms);
    // Sorted by score descending, then by code.
    for (let i = 1; i < sc.recommendations.length; i++) {
      const a = sc.recommendations[i - 1];
      const b = sc.recommendations[i];
      expect(a.score > b.score + 1e-9 || (Math.abs(a.score - b.score) <= 1e-9 && a.intervention < b.intervention), `${a.intervention} before ${b.intervention}`).toBe(true);
    }
  });

  it('recommendations: the exact ranking, computed by hand', () => {
    // intervention: recoverable (terms) / cost = score
    const expected: Array<[string, number, number]> = [
      ['EVAL.PROBE', 6.4, 6.4], //            UNPROBED 2·0.8·4 / 1
      ['INF.THRESHOLD', 6.0, 6.0], //         THR 2·0.6·4 + 1·0.6·2 / 1
      ['INF.CALIBRATE', 5.0, 5.0], //         THR 2·0.5·4 + 1·0.5·2 / 1
      ['LABEL.RELABEL', 3.6, 3.6], //         AMBIG 1·0.9·4 / 1
      ['INF.POLICY_PROMPT', 3.2, 3.2], //     POL.GAP 1·0.8·4 / 1
      ['LABEL.GUIDELINE', 2.0, 2.0], //       AMBIG 1·0.5·4 / 1
      ['ARCH.SAMPLING', 4.8, 1.6], //         PER.MISS 4·0.3·4 / 3
      ['TRAIN.ENCODER', 8.0, 8 / 9], //       PER.MISS 4·0.5·4 / 9
      ['DATA.COUNTEREX', 2.4, 0.8], //        SHORTCUT 2·0.6·2 / 3  (tie with TRAIN.POLICY_SFT: by code)
      ['TRAIN.POLICY_SFT', 2.4, 0.8], //      POL.GAP 1·0.6·4 / 3
      ['DATA.TARGETED', 6.4, 6.4 / 9], //     PER.MISS 4·0.4·4 / 9
      ['TRAIN.MODALITY_DROPOUT', 1.6, 1.6 / 9], // SHORTCUT 2·0.4·2 / 9
    ];
    expect(sc.recommendations.map((r: any) => r.intervention)).toEqual(expected.map((e) => e[0]));
    for (const [code, recoverable, score] of expected) {
      const r = sc.recommendations.find((x: any) => x.intervention === code);
      expect(r.recoverable, code).toBeCloseTo(recoverable, 10);
      expect(r.score, code).toBeCloseTo(score, 10);
    }
    const thr = sc.recommendations.find((x: any) => x.intervention === 'INF.THRESHOLD');
    expect(thr.terms).toEqual([
      { signature: 'THR.MARGIN', policy: 'hate.slur', failures: 2, weight: 0.6, severity: 4 },
      { signature: 'THR.MARGIN', policy: 'spam.scam', failures: 1, weight: 0.6, severity: 2 },
    ]);
  });

  it('a region with no slices of a known model version shows zeros and no rate', async () => {
    const r = await api(`/v1/regions/NZ/scorecard?model=${MODEL.id}&version=${MODEL.version}`);
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ region: 'NZ', items: 0, failures: 0, by_policy: [], by_signature: [], recommendations: [] });
    expect(r.data.failure_rate).toMatchObject({ value: null, n: 0, too_few: true });
  });

  it('a third slice changes the numbers exactly by its own counts', async () => {
    const before = (await api(URL_)).data;
    const extra = [...times(3, unprobed), ...times(2, tnHate)];
    expect((await submit(REGION, { slice_id: 'sc-3', model: MODEL, items: extra })).status).toBe(201);
    const after = (await api(URL_)).data;
    expect(after.items - before.items).toBe(5);
    expect(after.failures - before.failures).toBe(3);
    expectRate(after.failure_rate, 15, 52);
    expect(after.by_signature.find((s: any) => s.code === 'UNPROBED').count).toBe(5);
    expect(wilsonRef(15, 52).value).toBeCloseTo(after.failure_rate.value, 12);
  });
});

describe('scorecard errors', () => {
  it('missing `version` → 400 naming version; missing `model` → 400 naming model', async () => {
    const e = expectError(await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}`), 400, 'invalid_request');
    expect(e.message).toContain('version');
    const e2 = expectError(await api(`/v1/regions/${REGION}/scorecard?version=2`), 400, 'invalid_request');
    expect(e2.message).toContain('model');
  });

  it('an unknown model version → 404', async () => {
    const e = expectError(await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=99`), 404, 'not_found');
    expect(e.message).toContain('99');
    expectError(await api(`/v1/regions/${REGION}/scorecard?model=nope&version=2`), 404, 'not_found');
  });

  it('an unknown region → 404; a malformed region → 400', async () => {
    const e = expectError(await api(`/v1/regions/ZZ/scorecard?model=${MODEL.id}&version=2`), 404);
    expect(e.message).toContain('ZZ');
    const e2 = expectError(await api(`/v1/regions/deu/scorecard?model=${MODEL.id}&version=2`), 400);
    expect(e2.message).toContain('region');
  });
});
