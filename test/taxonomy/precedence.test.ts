// Precedence conflicts of SPEC §4: which signature is primary when several match,
// which modality names a per-modality rule, and what stays out of a TP.
import { describe, expect, it } from 'vitest';
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import type { DiagnoseContext, EvalItem } from '../../taxonomy/types.ts';

type Over = Partial<EvalItem>;
const make = (violating: boolean, score: number, over: Over = {}): EvalItem => ({
  item_id: 'p1', surface: 'vod', policy: 'adult.nudity',
  ...over,
  label: { violating, ...(over.label ?? {}) },
  prediction: { score, ...(over.prediction ?? {}) },
});
const diag = (item: EvalItem, ctx: Partial<DiagnoseContext> = {}) => diagnoseItem(item, { threshold: 0.5, ...ctx });
const codes = (item: EvalItem, ctx: Partial<DiagnoseContext> = {}) => diag(item, ctx).secondary.map((m) => m.code);
const split = [
  { annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false },
];

describe('precedence', () => {
  it('an FN matching every FN rule lists them all, in table order', () => {
    const item = make(true, 0.45, {
      surface: 'live',
      live: { stream_id: 's', segment: 2 },
      label: { violating: true, votes: split, adversarial: true, evidence: ['audio'] },
      prediction: { score: 0.45, parse_ok: false, grounded: false },
      probes: { audio_only: 0.2, visual_only: 0.8, policy_context: 0.9 },
      signals: { asr_confidence: 0.1 },
    });
    const flagged = { decision: true, violating: true };
    const d = diag(item, { neighbours: { prev: flagged, next: flagged } });
    expect(d.secondary.map((m) => m.code)).toEqual([
      'LBL.AMBIG', 'OUT.FORMAT', 'ADV.EVASION', 'LANG.ASR', 'PER.MISS.audio', 'FUS.SUPPRESS.visual',
      'POL.GAP', 'GRD.HALLUC', 'TMP.FLIP', 'THR.MARGIN',
    ]);
    expect(d.primary).toBe('LBL.AMBIG');
    expect(d.excluded).toBe(true);
  });

  it('an FP matching every FP rule lists them all, in table order', () => {
    const item = make(false, 0.55, {
      prediction: { score: 0.55, parse_ok: false, grounded: false },
      probes: { text_only: 0.9, no_text: 0.1, policy_context: 0.2 },
    });
    expect(codes(item)).toEqual(['OUT.FORMAT', 'FUS.SHORTCUT.text', 'POL.GAP', 'GRD.HALLUC', 'THR.MARGIN']);
    expect(diag(item).primary).toBe('OUT.FORMAT');
    expect(diag(item).excluded).toBe(false);
  });

  it('LBL.AMBIG beats OUT.FORMAT, and the item is excluded', () => {
    const d = diag(make(false, 0.9, { label: { violating: false, votes: split }, prediction: { score: 0.9, parse_ok: false } }));
    expect(d.primary).toBe('LBL.AMBIG');
    expect(d.secondary.map((m) => m.code)).toEqual(['LBL.AMBIG', 'OUT.FORMAT']);
    expect(d.excluded).toBe(true);
  });

  it('OUT.FORMAT beats ADV.EVASION', () => {
    expect(diag(make(true, 0.1, { label: { violating: true, adversarial: true }, prediction: { score: 0.1, parse_ok: false } })).primary)
      .toBe('OUT.FORMAT');
  });

  it('PER.MISS comes before FUS.SUPPRESS (different modalities)', () => {
    const d = diag(make(true, 0.1, { label: { violating: true, evidence: ['audio'] }, probes: { audio_only: 0.2, visual_only: 0.8 } }));
    expect(d.primary).toBe('PER.MISS.audio');
    expect(d.secondary.map((m) => m.code)).toEqual(['PER.MISS.audio', 'FUS.SUPPRESS.visual']);
  });

  it('LANG.ASR comes before PER.MISS', () => {
    const d = diag(make(true, 0.1, {
      label: { violating: true, evidence: ['audio'] }, probes: { audio_only: 0.2 }, signals: { asr_confidence: 0.2 },
    }));
    expect(d.secondary.map((m) => m.code)).toEqual(['LANG.ASR', 'PER.MISS.audio']);
  });

  it('POL.GAP beats THR.MARGIN', () => {
    const d = diag(make(true, 0.45, { probes: { policy_context: 0.7 } }));
    expect(d.primary).toBe('POL.GAP');
    expect(d.secondary.map((m) => m.code)).toEqual(['POL.GAP', 'THR.MARGIN']);
  });

  it('GRD.HALLUC beats TMP.FLIP and THR.MARGIN', () => {
    const clear = { decision: false, violating: false };
    const item = make(false, 0.55, { live: { stream_id: 's', segment: 1 }, prediction: { score: 0.55, grounded: false } });
    expect(codes(item, { neighbours: { prev: clear, next: clear } })).toEqual(['GRD.HALLUC', 'TMP.FLIP', 'THR.MARGIN']);
  });

  it('TMP.FLIP beats THR.MARGIN', () => {
    const clear = { decision: false, violating: false };
    const item = make(false, 0.55, { live: { stream_id: 's', segment: 1 } });
    expect(diag(item, { neighbours: { prev: clear, next: clear } }).primary).toBe('TMP.FLIP');
  });
});

describe('modality naming', () => {
  it('FUS.SUPPRESS: the highest firing probe names it, once', () => {
    const d = diag(make(true, 0.1, { probes: { audio_only: 0.6, visual_only: 0.9, text_only: 0.7 } }));
    expect(d.secondary).toEqual([
      { code: 'FUS.SUPPRESS.visual', evidence: { modality: 'visual', probe: 'visual_only', score: 0.9, threshold: 0.5 } },
    ]);
  });

  it('ties go audio > visual > text', () => {
    expect(diag(make(true, 0.1, { probes: { audio_only: 0.7, visual_only: 0.7, text_only: 0.7 } })).primary).toBe('FUS.SUPPRESS.audio');
    expect(diag(make(true, 0.1, { probes: { visual_only: 0.8, text_only: 0.8 } })).primary).toBe('FUS.SUPPRESS.visual');
    expect(diag(make(true, 0.1, { probes: { text_only: 0.8, audio_only: 0.6 } })).primary).toBe('FUS.SUPPRESS.text');
  });

  it('PER.MISS: among evidence modalities that were missed, the highest probe names it', () => {
    const d = diag(make(true, 0.1, { label: { violating: true, evidence: ['audio', 'text'] }, probes: { audio_only: 0.1, text_only: 0.3 } }));
    expect(d.primary).toBe('PER.MISS.text');
    expect(d.secondary.filter((m) => m.code.startsWith('PER.MISS'))).toHaveLength(1);
  });

  it('FUS.SHORTCUT: a modality whose ablation still fires does not qualify', () => {
    const d = diag(make(false, 0.9, { probes: { audio_only: 0.95, no_audio: 0.8, visual_only: 0.6, no_visual: 0.1 } }));
    expect(d.primary).toBe('FUS.SHORTCUT.visual');
    expect(d.secondary[0].evidence).toEqual({
      modality: 'visual', probe: 'visual_only', score: 0.6, ablated_probe: 'no_visual', ablated_score: 0.1, threshold: 0.5,
    });
  });
});

describe('TP and fallbacks', () => {
  it('TMP.LATE is the only rule for a TP, even when other evidence is present', () => {
    const d = diag(make(true, 0.55, {
      surface: 'live',
      live: { stream_id: 's', segment: 0, onset_ms: 0, flag_ms: 45_000 },
      label: { violating: true, votes: split, adversarial: true },
      prediction: { score: 0.55, parse_ok: false, grounded: false },
      probes: { policy_context: 0.9 },
    }));
    expect(d.secondary.map((m) => m.code)).toEqual(['TMP.LATE']);
    expect(d.primary).toBe('TMP.LATE');
    expect(d.excluded).toBe(false);
  });

  it('TMP.LATE never applies to an FN or FP, however late', () => {
    const live = { stream_id: 's', segment: 0, onset_ms: 0, flag_ms: 90_000 };
    expect(codes(make(true, 0.1, { live }))).toEqual(['UNPROBED']);
    expect(codes(make(false, 0.9, { live }))).toEqual(['UNPROBED']);
  });

  it('fallbacks only when nothing else matched', () => {
    expect(codes(make(true, 0.45))).toEqual(['THR.MARGIN']);
    expect(codes(make(true, 0.45, { probes: { no_audio: 0.2 } }))).toEqual(['THR.MARGIN']);
  });

  it('UNPROBED without any probe, UNEXPLAINED with one', () => {
    expect(diag(make(false, 0.9)).primary).toBe('UNPROBED');
    expect(diag(make(false, 0.9, { probes: { audio_only: 0.2 } })).primary).toBe('UNEXPLAINED');
  });

  it('only a LBL.AMBIG primary excludes', () => {
    expect(diag(make(false, 0.9, { label: { violating: false, votes: split } })).excluded).toBe(true);
    expect(diag(make(false, 0.9, { prediction: { score: 0.9, parse_ok: false } })).excluded).toBe(false);
    expect(diag(make(false, 0.9)).excluded).toBe(false);
  });
});
