// One focused block per item-level rule of SPEC §4: it fires with the right code and
// evidence, and does not fire when its evidence is missing or just across its boundary.
import { describe, expect, it } from 'vitest';
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import type { DiagnoseContext, EvalItem, Modality, SignatureMatch } from '../../taxonomy/types.ts';

const T = 0.5;
type Over = Partial<EvalItem> & { label?: EvalItem['label']; prediction?: EvalItem['prediction'] };

// FN far from the threshold: no rule fires unless the test adds its evidence.
const fn = (over: Over = {}): EvalItem => ({
  item_id: 'i1', surface: 'vod', policy: 'hate.slur',
  label: { violating: true, ...(over.label ?? {}) },
  prediction: { score: 0.1, ...(over.prediction ?? {}) },
  ...omit(over, 'label', 'prediction'),
});
// FP far from the threshold.
const fp = (over: Over = {}): EvalItem => ({
  item_id: 'i2', surface: 'vod', policy: 'hate.slur',
  label: { violating: false, ...(over.label ?? {}) },
  prediction: { score: 0.9, ...(over.prediction ?? {}) },
  ...omit(over, 'label', 'prediction'),
});
function omit<O extends object>(o: O, ...keys: string[]): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) as Partial<O>;
}

const diag = (item: EvalItem, ctx: Partial<DiagnoseContext> = {}) => diagnoseItem(item, { threshold: T, ...ctx });
const match = (item: EvalItem, code: string, ctx: Partial<DiagnoseContext> = {}): SignatureMatch | undefined =>
  diag(item, ctx).secondary.find((m) => m.code === code);
const codes = (item: EvalItem, ctx: Partial<DiagnoseContext> = {}) => diag(item, ctx).secondary.map((m) => m.code);
const votes = (yes: number, no: number) => [
  ...Array.from({ length: yes }, (_, i) => ({ annotator: `y${i}`, violating: true })),
  ...Array.from({ length: no }, (_, i) => ({ annotator: `n${i}`, violating: false })),
];

describe('LBL.AMBIG', () => {
  it('fires on a 2:1 split (majority share 2/3 < 0.70)', () => {
    const m = match(fn({ label: { violating: true, votes: votes(2, 1) } }), 'LBL.AMBIG');
    expect(m?.evidence).toEqual({ votes: 3, violating_votes: 2, majority: true, majority_share: 2 / 3, min_share: 0.7, label: true });
  });
  it('fires when the label contradicts a clear majority', () => {
    const m = match(fn({ label: { violating: true, votes: votes(0, 4) } }), 'LBL.AMBIG');
    expect(m?.evidence).toEqual({ votes: 4, violating_votes: 0, majority: false, majority_share: 1, min_share: 0.7, label: true });
  });
  it('treats a 50/50 tie as share 0.5 with no majority', () => {
    const m = match(fp({ label: { violating: false, votes: votes(2, 2) } }), 'LBL.AMBIG');
    expect(m?.evidence).toMatchObject({ votes: 4, majority: null, majority_share: 0.5, label: false });
  });
  it('does not fire at a share of exactly 0.70 agreeing with the label', () => {
    expect(match(fn({ label: { violating: true, votes: votes(7, 3) } }), 'LBL.AMBIG')).toBeUndefined();
  });
  it('does not fire with fewer than 3 votes, or none', () => {
    expect(match(fn({ label: { violating: true, votes: votes(1, 1) } }), 'LBL.AMBIG')).toBeUndefined();
    expect(match(fn(), 'LBL.AMBIG')).toBeUndefined();
    expect(match(fn({ label: { violating: true, votes: votes(1, 1) } }), 'LBL.AMBIG', { consensusPosterior: 0.1 })).toBeUndefined();
  });
  it('after consensus, uses the posterior instead of the vote shares', () => {
    const split = fn({ label: { violating: true, votes: votes(2, 1) } });
    expect(match(split, 'LBL.AMBIG', { consensusPosterior: 0.79 })?.evidence).toEqual({ votes: 3, posterior: 0.79, min_posterior: 0.8 });
    expect(match(split, 'LBL.AMBIG', { consensusPosterior: 0.8 })).toBeUndefined();
    const unanimous = fn({ label: { violating: true, votes: votes(3, 0) } });
    expect(match(unanimous, 'LBL.AMBIG', { consensusPosterior: 0.5 })?.evidence).toEqual({ votes: 3, posterior: 0.5, min_posterior: 0.8 });
  });
});

describe('OUT.FORMAT', () => {
  it('fires when parse_ok === false', () => {
    expect(match(fp({ prediction: { score: 0.9, parse_ok: false } }), 'OUT.FORMAT')?.evidence).toEqual({ parse_ok: false });
    expect(match(fn({ prediction: { score: 0.1, parse_ok: false } }), 'OUT.FORMAT')?.code).toBe('OUT.FORMAT');
  });
  it('does not fire when parse_ok is true or absent', () => {
    expect(match(fp({ prediction: { score: 0.9, parse_ok: true } }), 'OUT.FORMAT')).toBeUndefined();
    expect(match(fp(), 'OUT.FORMAT')).toBeUndefined();
  });
});

describe('ADV.EVASION', () => {
  it('fires on an FN tagged adversarial', () => {
    expect(match(fn({ label: { violating: true, adversarial: true } }), 'ADV.EVASION')?.evidence).toEqual({ adversarial: true });
  });
  it('does not fire untagged, tagged false, or on an FP', () => {
    expect(match(fn(), 'ADV.EVASION')).toBeUndefined();
    expect(match(fn({ label: { violating: true, adversarial: false } }), 'ADV.EVASION')).toBeUndefined();
    expect(match(fp({ label: { violating: false, adversarial: true } }), 'ADV.EVASION')).toBeUndefined();
  });
});

describe('LANG.ASR', () => {
  const asr = (conf: number | undefined, evidence: Modality[] | undefined) =>
    fn({ label: { violating: true, evidence }, signals: conf === undefined ? {} : { asr_confidence: conf } });
  it('fires on an FN with audio or text evidence and asr_confidence < 0.5', () => {
    expect(match(asr(0.3, ['audio']), 'LANG.ASR')?.evidence).toEqual({ asr_confidence: 0.3, max_confidence: 0.5, label_evidence: ['audio'] });
    expect(match(asr(0.49, ['text', 'visual']), 'LANG.ASR')?.evidence).toEqual({ asr_confidence: 0.49, max_confidence: 0.5, label_evidence: ['text', 'visual'] });
  });
  it('does not fire at 0.5, without asr_confidence, without audio/text evidence, or on an FP', () => {
    expect(match(asr(0.5, ['audio']), 'LANG.ASR')).toBeUndefined();
    expect(match(asr(undefined, ['audio']), 'LANG.ASR')).toBeUndefined();
    expect(match(asr(0.1, ['visual']), 'LANG.ASR')).toBeUndefined();
    expect(match(asr(0.1, undefined), 'LANG.ASR')).toBeUndefined();
    expect(match(fp({ label: { violating: false, evidence: ['audio'] }, signals: { asr_confidence: 0.1 } }), 'LANG.ASR')).toBeUndefined();
  });
});

describe('PER.MISS.<m>', () => {
  it('fires on an FN whose evidence modality probe is present and below T', () => {
    const m = match(fn({ label: { violating: true, evidence: ['visual'] }, probes: { visual_only: 0.3 } }), 'PER.MISS.visual');
    expect(m?.evidence).toEqual({ modality: 'visual', probe: 'visual_only', score: 0.3, threshold: 0.5, label_evidence: ['visual'] });
  });
  it('does not fire when the probe reaches T, is absent, or the rater saw nothing there', () => {
    expect(codes(fn({ label: { violating: true, evidence: ['visual'] }, probes: { visual_only: 0.5 } }))).not.toContain('PER.MISS.visual');
    expect(codes(fn({ label: { violating: true, evidence: ['visual'] }, probes: { audio_only: 0.1 } })).filter((c) => c.startsWith('PER.MISS'))).toEqual([]);
    expect(codes(fn({ label: { violating: true, evidence: ['audio'] }, probes: { visual_only: 0.1 } })).filter((c) => c.startsWith('PER.MISS'))).toEqual([]);
    expect(codes(fn({ probes: { visual_only: 0.1 } })).filter((c) => c.startsWith('PER.MISS'))).toEqual([]);
  });
  it('does not apply to an FP', () => {
    expect(codes(fp({ label: { violating: false, evidence: ['audio'] }, probes: { audio_only: 0.1 } })).filter((c) => c.startsWith('PER.MISS'))).toEqual([]);
  });
});

describe('FUS.SUPPRESS.<m>', () => {
  it('fires on an FN whose single-modality probe fires (>= T, inclusive)', () => {
    expect(match(fn({ probes: { text_only: 0.7 } }), 'FUS.SUPPRESS.text')?.evidence)
      .toEqual({ modality: 'text', probe: 'text_only', score: 0.7, threshold: 0.5 });
    expect(match(fn({ probes: { audio_only: 0.5 } }), 'FUS.SUPPRESS.audio')?.evidence)
      .toEqual({ modality: 'audio', probe: 'audio_only', score: 0.5, threshold: 0.5 });
  });
  it('does not fire just below T, without the probe, or on an FP', () => {
    expect(codes(fn({ probes: { text_only: 0.49 } })).filter((c) => c.startsWith('FUS.'))).toEqual([]);
    expect(codes(fn({ probes: { no_text: 0.9 } })).filter((c) => c.startsWith('FUS.'))).toEqual([]);
    expect(codes(fp({ probes: { text_only: 0.9 } })).filter((c) => c.startsWith('FUS.SUPPRESS'))).toEqual([]);
  });
});

describe('FUS.SHORTCUT.<m>', () => {
  it('fires on an FP where m alone fires and the input without m does not', () => {
    expect(match(fp({ probes: { audio_only: 0.9, no_audio: 0.2 } }), 'FUS.SHORTCUT.audio')?.evidence).toEqual({
      modality: 'audio', probe: 'audio_only', score: 0.9, ablated_probe: 'no_audio', ablated_score: 0.2, threshold: 0.5,
    });
  });
  it('does not fire when no_<m> is absent or fires, when <m>_only is below T, or on an FN', () => {
    const shortcut = (c: string[]) => c.filter((x) => x.startsWith('FUS.SHORTCUT'));
    expect(shortcut(codes(fp({ probes: { audio_only: 0.9 } })))).toEqual([]);
    expect(shortcut(codes(fp({ probes: { audio_only: 0.9, no_audio: 0.5 } })))).toEqual([]);
    expect(shortcut(codes(fp({ probes: { audio_only: 0.49, no_audio: 0.1 } })))).toEqual([]);
    expect(shortcut(codes(fn({ probes: { audio_only: 0.9, no_audio: 0.1 } })))).toEqual([]);
  });
});

describe('POL.GAP', () => {
  it('fires when the policy-context probe gets the label right (FN and FP)', () => {
    expect(match(fn({ probes: { policy_context: 0.6 } }), 'POL.GAP')?.evidence)
      .toEqual({ probe: 'policy_context', score: 0.6, threshold: 0.5, label: true });
    expect(match(fn({ probes: { policy_context: 0.5 } }), 'POL.GAP')?.evidence)
      .toEqual({ probe: 'policy_context', score: 0.5, threshold: 0.5, label: true });
    expect(match(fp({ probes: { policy_context: 0.3 } }), 'POL.GAP')?.evidence)
      .toEqual({ probe: 'policy_context', score: 0.3, threshold: 0.5, label: false });
  });
  it('does not fire when the probe is wrong too, or absent', () => {
    expect(match(fn({ probes: { policy_context: 0.49 } }), 'POL.GAP')).toBeUndefined();
    expect(match(fp({ probes: { policy_context: 0.5 } }), 'POL.GAP')).toBeUndefined();
    expect(match(fn(), 'POL.GAP')).toBeUndefined();
  });
});

describe('GRD.HALLUC', () => {
  it('fires when grounded === false', () => {
    expect(match(fp({ prediction: { score: 0.9, grounded: false } }), 'GRD.HALLUC')?.evidence).toEqual({ grounded: false });
  });
  it('does not fire when grounded is true or absent', () => {
    expect(match(fp({ prediction: { score: 0.9, grounded: true } }), 'GRD.HALLUC')).toBeUndefined();
    expect(match(fp(), 'GRD.HALLUC')).toBeUndefined();
  });
});

describe('TMP.FLIP', () => {
  const live = { stream_id: 's1', segment: 5 };
  const flagged = { decision: true, violating: true };
  it('fires on a live FN whose neighbours, labelled alike, both decided the other way', () => {
    const m = match(fn({ surface: 'live', live }), 'TMP.FLIP', { neighbours: { prev: flagged, next: flagged } });
    expect(m?.evidence).toEqual({ stream_id: 's1', segment: 5, decision: false, prev_decision: true, next_decision: true, label: true });
  });
  it('fires on a live FP between two correctly cleared segments', () => {
    const clear = { decision: false, violating: false };
    expect(match(fp({ surface: 'live', live }), 'TMP.FLIP', { neighbours: { prev: clear, next: clear } })?.evidence)
      .toEqual({ stream_id: 's1', segment: 5, decision: true, prev_decision: false, next_decision: false, label: false });
  });
  it('does not fire with one neighbour, a neighbour labelled otherwise or deciding alike, or no live block', () => {
    const item = fn({ surface: 'live', live });
    expect(match(item, 'TMP.FLIP', { neighbours: { prev: flagged } })).toBeUndefined();
    expect(match(item, 'TMP.FLIP', { neighbours: { next: flagged } })).toBeUndefined();
    expect(match(item, 'TMP.FLIP', {})).toBeUndefined();
    expect(match(item, 'TMP.FLIP', { neighbours: { prev: flagged, next: { decision: true, violating: false } } })).toBeUndefined();
    expect(match(item, 'TMP.FLIP', { neighbours: { prev: { decision: false, violating: true }, next: flagged } })).toBeUndefined();
    expect(match(fn(), 'TMP.FLIP', { neighbours: { prev: flagged, next: flagged } })).toBeUndefined();
  });
});

describe('TMP.LATE', () => {
  const tp = (onset_ms?: number, flag_ms?: number): EvalItem => ({
    item_id: 'l1', surface: 'live', policy: 'violence.graphic',
    label: { violating: true }, prediction: { score: 0.9 },
    live: { stream_id: 's1', segment: 0, onset_ms, flag_ms },
  });
  it('makes a live TP flagged more than 30 s after onset a failure', () => {
    const d = diag(tp(1000, 31001));
    expect(d).toEqual({
      outcome: 'TP', failure: true, primary: 'TMP.LATE', excluded: false,
      secondary: [{ code: 'TMP.LATE', evidence: { onset_ms: 1000, flag_ms: 31001, delay_ms: 30001, max_delay_ms: 30000 } }],
    });
  });
  it('does not fire at exactly 30 s, or without both timestamps', () => {
    const none = { outcome: 'TP', failure: false, primary: null, secondary: [], excluded: false };
    expect(diag(tp(0, 30000))).toEqual(none);
    expect(diag(tp(undefined, 99999))).toEqual(none);
    expect(diag(tp(0, undefined))).toEqual(none);
  });
});

describe('THR.MARGIN', () => {
  it('fires within 0.10 of T on either side, boundary included despite float error', () => {
    expect(match(fp({ prediction: { score: 0.6 } }), 'THR.MARGIN')?.evidence).toEqual({ score: 0.6, threshold: 0.5, distance: 0.1, margin: 0.1 });
    expect(match(fn({ prediction: { score: 0.4 } }), 'THR.MARGIN')?.evidence).toEqual({ score: 0.4, threshold: 0.5, distance: 0.1, margin: 0.1 });
    expect(match(fp({ prediction: { score: 0.5 } }), 'THR.MARGIN')?.evidence).toEqual({ score: 0.5, threshold: 0.5, distance: 0, margin: 0.1 });
    // 0.3 - 0.2 = 0.09999999999999998, 0.7 - 0.8 = -0.10000000000000009: both count as 0.10.
    expect(match(fn({ prediction: { score: 0.2 } }), 'THR.MARGIN', { threshold: 0.3 })?.evidence.distance).toBe(0.1);
    expect(match(fp({ prediction: { score: 0.8 } }), 'THR.MARGIN', { threshold: 0.7 })?.evidence.distance).toBe(0.1);
  });
  it('does not fire just outside the margin', () => {
    expect(match(fp({ prediction: { score: 0.61 } }), 'THR.MARGIN')).toBeUndefined();
    expect(match(fn({ prediction: { score: 0.39 } }), 'THR.MARGIN')).toBeUndefined();
    expect(match(fn({ prediction: { score: 0.399999 } }), 'THR.MARGIN')).toBeUndefined();
  });
});

describe('UNPROBED / UNEXPLAINED', () => {
  it('UNPROBED: a failure nothing explains and no probe present', () => {
    expect(diag(fn())).toEqual({
      outcome: 'FN', failure: true, primary: 'UNPROBED', excluded: false,
      secondary: [{ code: 'UNPROBED', evidence: { probes_present: [] } }],
    });
  });
  it('UNEXPLAINED: a failure nothing explains but some probe present (non-firing evidence)', () => {
    expect(diag(fn({ probes: { no_text: 0.1, policy_context: 0.2 } }))).toEqual({
      outcome: 'FN', failure: true, primary: 'UNEXPLAINED', excluded: false,
      secondary: [{ code: 'UNEXPLAINED', evidence: { probes_present: ['no_text', 'policy_context'] } }],
    });
  });
  it('a non-finite probe value counts as absent', () => {
    expect(diag(fn({ probes: { audio_only: Number.NaN } })).primary).toBe('UNPROBED');
  });
});
