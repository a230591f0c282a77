// Outcomes, non-failures, thresholds, and the shape of the registry and policy table.
import { describe, expect, it } from 'vitest';
import { diagnoseItem, effectiveThreshold, outcomeOf } from '../../taxonomy/diagnose.ts';
import {
  ALL_ITEM_SIGNATURE_CODES, ITEM_SIGNATURES, SIGNATURE_FAMILIES, familyOf, isItemSignatureCode,
} from '../../taxonomy/signatures/index.ts';
import { POLICIES, POLICY_CODES, policyByCode, policyIndex } from '../../taxonomy/policies.ts';
import * as api from '../../taxonomy/index.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

const item = (violating: boolean | undefined, score: number | undefined, over: Partial<EvalItem> = {}): EvalItem => ({
  item_id: 'd1', surface: 'vod', policy: 'spam.scam',
  ...(violating === undefined ? {} : { label: { violating } }),
  ...(score === undefined ? {} : { prediction: { score } }),
  ...over,
});
const NOT_A_FAILURE = { failure: false, primary: null, secondary: [], excluded: false };

describe('outcomeOf', () => {
  it('maps label × decision to TP/TN/FP/FN', () => {
    expect(outcomeOf(item(true, 0.9), 0.5)).toBe('TP');
    expect(outcomeOf(item(false, 0.1), 0.5)).toBe('TN');
    expect(outcomeOf(item(false, 0.9), 0.5)).toBe('FP');
    expect(outcomeOf(item(true, 0.1), 0.5)).toBe('FN');
  });
  it('a score exactly at the threshold is predicted positive', () => {
    expect(outcomeOf(item(true, 0.5), 0.5)).toBe('TP');
    expect(outcomeOf(item(false, 0.5), 0.5)).toBe('FP');
    expect(outcomeOf(item(true, 0.4999), 0.5)).toBe('FN');
    expect(outcomeOf(item(true, 0), 0)).toBe('TP');
  });
  it('is pending without label or prediction', () => {
    expect(outcomeOf(item(undefined, 0.9), 0.5)).toBe('pending');
    expect(outcomeOf(item(true, undefined), 0.5)).toBe('pending');
    expect(outcomeOf(item(undefined, undefined), 0.5)).toBe('pending');
  });
});

describe('effectiveThreshold', () => {
  it("prefers the item's own threshold", () => {
    expect(effectiveThreshold(item(true, 0.5, { prediction: { score: 0.5, threshold: 0.3 } }), 0.6)).toBe(0.3);
    expect(effectiveThreshold(item(true, 0.5, { prediction: { score: 0.5, threshold: 0 } }), 0.6)).toBe(0);
  });
  it('else the given policy default, else the policy table', () => {
    expect(effectiveThreshold(item(true, 0.5), 0.45)).toBe(0.45);
    expect(effectiveThreshold(item(true, 0.5))).toBe(0.6); // spam.scam default
    expect(effectiveThreshold(item(true, undefined, { policy: 'minor.safety' }))).toBe(0.35);
  });
  it('throws for an unknown policy with no default', () => {
    expect(() => effectiveThreshold(item(true, 0.5, { policy: 'nope' }))).toThrow(/unknown policy nope/);
  });
});

describe('diagnoseItem on non-failures', () => {
  it('TN and timely TP: no signatures, even with evidence that would fire on a failure', () => {
    const bad = { prediction: { score: 0.1, parse_ok: false, grounded: false }, probes: { policy_context: 0.1 } };
    expect(diagnoseItem(item(false, 0.1, bad), { threshold: 0.5 })).toEqual({ outcome: 'TN', ...NOT_A_FAILURE });
    const tp = item(true, 0.55, { prediction: { score: 0.55, parse_ok: false }, live: { stream_id: 's', segment: 0, onset_ms: 0, flag_ms: 1000 } });
    expect(diagnoseItem(tp, { threshold: 0.5 })).toEqual({ outcome: 'TP', ...NOT_A_FAILURE });
  });
  it('pending: not a failure, no signatures', () => {
    expect(diagnoseItem(item(undefined, 0.9), { threshold: 0.5 })).toEqual({ outcome: 'pending', ...NOT_A_FAILURE });
    expect(diagnoseItem(item(true, undefined), { threshold: 0.5 })).toEqual({ outcome: 'pending', ...NOT_A_FAILURE });
  });
  it('uses ctx.threshold as T', () => {
    const it1 = item(true, 0.4);
    expect(diagnoseItem(it1, { threshold: 0.4 }).outcome).toBe('TP');
    expect(diagnoseItem(it1, { threshold: 0.41 })).toMatchObject({ outcome: 'FN', failure: true, primary: 'THR.MARGIN' });
  });
});

describe('registry', () => {
  it('is in SPEC §4 table order', () => {
    expect(ITEM_SIGNATURES.map((d) => d.family)).toEqual([
      'LBL.AMBIG', 'OUT.FORMAT', 'ADV.EVASION', 'LANG.ASR', 'PER.MISS', 'FUS.SUPPRESS', 'FUS.SHORTCUT',
      'POL.GAP', 'GRD.HALLUC', 'TMP.FLIP', 'TMP.LATE', 'THR.MARGIN', 'UNPROBED', 'UNEXPLAINED',
    ]);
  });
  it('every entry is item-level, described, and only TMP.LATE applies to TP', () => {
    for (const d of ITEM_SIGNATURES) {
      expect(d.level).toBe('item');
      expect(d.description.length).toBeGreaterThan(5);
      expect(d.rule.length).toBeGreaterThan(5);
      expect(d.appliesTo.includes('TP')).toBe(d.family === 'TMP.LATE');
    }
    expect(ITEM_SIGNATURES.filter((d) => d.fallback).map((d) => d.family)).toEqual(['UNPROBED', 'UNEXPLAINED']);
  });
  it('rule texts carry the configured limits', () => {
    const rule = (f: string) => SIGNATURE_FAMILIES.find((s) => s.code === f)!.rule;
    expect(rule('THR.MARGIN')).toBe('abs(s − T) <= 0.10');
    expect(rule('TMP.LATE')).toBe('live TP with flag_ms − onset_ms > 30000');
    expect(rule('LANG.ASR')).toBe('FN, evidence ∋ audio or text, asr_confidence < 0.5');
    expect(rule('LBL.AMBIG')).toContain('≥3 votes');
    expect(rule('LBL.AMBIG')).toContain('< 0.70');
    expect(rule('LBL.AMBIG')).toContain('< 0.80');
  });
  it('SIGNATURE_FAMILIES lists families with their concrete codes', () => {
    expect(SIGNATURE_FAMILIES).toHaveLength(14);
    expect(SIGNATURE_FAMILIES.find((f) => f.code === 'PER.MISS')!.codes).toEqual(['PER.MISS.audio', 'PER.MISS.visual', 'PER.MISS.text']);
    expect(SIGNATURE_FAMILIES.find((f) => f.code === 'UNPROBED')).toMatchObject({
      level: 'item', codes: ['UNPROBED'], description: 'needs probes: queue them on the GPU backend',
    });
    expect(SIGNATURE_FAMILIES.find((f) => f.code === 'UNEXPLAINED')!.rule).toBe('none of the above, some probe present');
  });
  it('ALL_ITEM_SIGNATURE_CODES lists every concrete code in precedence order', () => {
    expect(ALL_ITEM_SIGNATURE_CODES).toEqual([
      'LBL.AMBIG', 'OUT.FORMAT', 'ADV.EVASION', 'LANG.ASR',
      'PER.MISS.audio', 'PER.MISS.visual', 'PER.MISS.text',
      'FUS.SUPPRESS.audio', 'FUS.SUPPRESS.visual', 'FUS.SUPPRESS.text',
      'FUS.SHORTCUT.audio', 'FUS.SHORTCUT.visual', 'FUS.SHORTCUT.text',
      'POL.GAP', 'GRD.HALLUC', 'TMP.FLIP', 'TMP.LATE', 'THR.MARGIN', 'UNPROBED', 'UNEXPLAINED',
    ]);
  });
  it('familyOf strips only a modality suffix of a per-modality family', () => {
    expect(familyOf('PER.MISS.audio')).toBe('PER.MISS');
    expect(familyOf('FUS.SHORTCUT.text')).toBe('FUS.SHORTCUT');
    expect(familyOf('FUS.SUPPRESS')).toBe('FUS.SUPPRESS');
    expect(familyOf('THR.MARGIN')).toBe('THR.MARGIN');
    expect(familyOf('UNPROBED')).toBe('UNPROBED');
    expect(familyOf('PER.MISS.smell')).toBe('PER.MISS.smell');
    expect(familyOf('CAL.MISFIT')).toBe('CAL.MISFIT');
  });
  it('isItemSignatureCode accepts concrete and family codes only', () => {
    for (const c of ['PER.MISS.visual', 'PER.MISS', 'FUS.SUPPRESS.text', 'THR.MARGIN', 'UNEXPLAINED', 'LBL.AMBIG']) {
      expect(isItemSignatureCode(c)).toBe(true);
    }
    for (const c of ['PER.MISS.smell', 'THR.MARGIN.audio', 'CAL.MISFIT', 'per.miss.audio', '', 'PER']) {
      expect(isItemSignatureCode(c)).toBe(false);
    }
  });
  it('every code a diagnosis produces is a known code', () => {
    const d = diagnoseItem(item(true, 0.1, { probes: { visual_only: 0.7 } }), { threshold: 0.5 });
    expect(isItemSignatureCode(d.primary!)).toBe(true);
    expect(ALL_ITEM_SIGNATURE_CODES).toContain(d.primary);
  });
});

describe('policies', () => {
  it('are the SPEC §2 policies in model-output order', () => {
    expect(POLICY_CODES).toEqual([
      'adult.nudity', 'violence.graphic', 'hate.slur', 'minor.safety',
      'dangerous.acts', 'spam.scam', 'regulated.goods', 'self_harm',
    ]);
    expect(policyIndex('hate.slur')).toBe(2);
    expect(policyIndex('nope')).toBe(-1);
  });
  it('have a severity weight in 1..5 and a threshold in (0,1)', () => {
    for (const p of POLICIES) {
      expect(p.severity).toBeGreaterThanOrEqual(1);
      expect(p.severity).toBeLessThanOrEqual(5);
      expect(p.threshold).toBeGreaterThan(0);
      expect(p.threshold).toBeLessThan(1);
      expect(p.name.length).toBeGreaterThan(0);
      expect(p.description.length).toBeGreaterThan(0);
    }
  });
  it('policyByCode finds a policy or returns undefined', () => {
    expect(policyByCode('self_harm')).toMatchObject({ code: 'self_harm', severity: 5, threshold: 0.4 });
    expect(policyByCode('adult.nudity')).toMatchObject({ severity: 3, threshold: 0.5 });
    expect(policyByCode('Adult.Nudity')).toBeUndefined();
  });
  it('the table is frozen', () => {
    expect(Object.isFrozen(POLICIES)).toBe(true);
    expect(Object.isFrozen(POLICIES[0])).toBe(true);
  });
});

describe('public index', () => {
  it('re-exports the API', () => {
    for (const name of [
      'diagnoseItem', 'outcomeOf', 'effectiveThreshold', 'matchSignatures', 'ITEM_SIGNATURES', 'SIGNATURE_FAMILIES',
      'ALL_ITEM_SIGNATURE_CODES', 'familyOf', 'isItemSignatureCode', 'POLICIES', 'POLICY_CODES', 'policyByCode',
      'StreamIndex', 'decisionFacts', 'CONFIG', 'TAXONOMY_VERSION', 'PROBE_KEYS', 'MODALITIES', 'itemFacts',
      'SLICE_SIGNATURES', 'SLICE_SIGNATURE_CODES', 'calibrationMisfit', 'INTERVENTIONS', 'SIGNATURE_INTERVENTIONS', 'defaultMapping',
      'recommend', 'applyLabelEvents', 'dawidSkene', 'wilson', 'benjaminiHochberg', 'psi', 'ece',
    ]) expect(api, name).toHaveProperty(name);
  });
});
