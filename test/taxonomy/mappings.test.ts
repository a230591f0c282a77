import { describe, it, expect } from 'vitest';
import { INTERVENTIONS, costValue, getIntervention } from '../../taxonomy/interventions.ts';
import {
  SIGNATURE_INTERVENTIONS, ITEM_FAMILY_CODES,
  validateMapping, defaultMapping,
} from '../../taxonomy/mappings.ts';
import { SLICE_SIGNATURES, SLICE_SIGNATURE_CODES } from '../../taxonomy/slice-signatures.ts';

describe('intervention catalogue (SPEC §5)', () => {
  it('has exactly the 18 codes of the table, each once', () => {
    expect(INTERVENTIONS.map((i) => i.code)).toEqual([
      'DATA.TARGETED', 'DATA.COUNTEREX', 'DATA.ADVERSARIAL', 'LABEL.GUIDELINE', 'LABEL.RELABEL',
      'TRAIN.MODALITY_DROPOUT', 'TRAIN.ENCODER', 'TRAIN.POLICY_SFT', 'TRAIN.REGION_ADAPTER',
      'ALIGN.GROUNDING', 'ALIGN.FORMAT', 'ARCH.SAMPLING', 'ARCH.ASR_LANG', 'INF.THRESHOLD',
      'INF.CALIBRATE', 'INF.SMOOTHING', 'INF.POLICY_PROMPT', 'EVAL.PROBE',
    ]);
  });

  it('levers, stages and costs as the table writes them', () => {
    expect(getIntervention('TRAIN.ENCODER')).toMatchObject({ lever: 'architecture', stage: 'pretrain', cost: 'high' });
    expect(getIntervention('DATA.ADVERSARIAL')).toMatchObject({ lever: 'data', stage: 'sft/alignment', cost: 'medium' });
    expect(getIntervention('TRAIN.MODALITY_DROPOUT')).toMatchObject({ lever: 'training', stage: 'pretrain/sft', cost: 'high' });
    expect(getIntervention('LABEL.RELABEL')).toMatchObject({ lever: 'evaluation', stage: null, cost: 'low' });
    // counted off the SPEC table: 4 high, 6 medium, 8 low
    const tiers = INTERVENTIONS.reduce<Record<string, number>>((m, i) => ({ ...m, [i.cost]: (m[i.cost] ?? 0) + 1 }), {});
    expect(tiers).toEqual({ high: 4, medium: 6, low: 8 });
  });

  it('costValue uses the cost tiers low 1 / medium 3 / high 9', () => {
    expect(costValue('INF.THRESHOLD')).toBe(1);
    expect(costValue('ALIGN.GROUNDING')).toBe(3);
    expect(costValue('DATA.TARGETED')).toBe(9);
    expect(() => costValue('NOPE')).toThrow(RangeError);
  });
});

describe('signature → intervention mapping', () => {
  it('maps every item family and slice-level signature, each default valid', () => {
    expect(Object.keys(SIGNATURE_INTERVENTIONS).sort()).toEqual([...ITEM_FAMILY_CODES, ...SLICE_SIGNATURE_CODES].sort());
    for (const [code, entries] of Object.entries(SIGNATURE_INTERVENTIONS)) {
      expect(validateMapping(entries), code).toBeNull();
      for (const e of entries) expect(e.rationale.length, `${code} → ${e.code}`).toBeGreaterThan(20);
    }
    expect(defaultMapping('PER.MISS').map((e) => e.code)).toEqual(['TRAIN.ENCODER', 'DATA.TARGETED', 'ARCH.SAMPLING']);
    expect(defaultMapping('PER.MISS.audio')).toEqual([]);
  });

  it('slice-level metadata for the four SPEC §4 slice signatures', () => {
    expect(SLICE_SIGNATURES.map((s) => s.code)).toEqual(['CAL.MISFIT', 'REG.DISPARITY', 'VER.REGRESSION', 'DIST.SHIFT']);
    expect(SLICE_SIGNATURES.every((s) => s.level === 'slice' && s.rule.length > 0)).toBe(true);
  });

  it('validateMapping rejects what SPEC §5 rules out', () => {
    expect(validateMapping([{ code: 'INF.THRESHOLD', weight: 1 }])).toBeNull();
    expect(validateMapping([])).toMatch(/1 to 4/);
    expect(validateMapping(Array.from({ length: 5 }, (_, i) => ({ code: ['INF.THRESHOLD', 'INF.CALIBRATE', 'EVAL.PROBE', 'DATA.TARGETED', 'ALIGN.FORMAT'][i], weight: 0.1 })))).toMatch(/1 to 4/);
    expect(validateMapping([{ code: 'NOPE', weight: 0.5 }])).toMatch(/unknown intervention/);
    expect(validateMapping([{ code: 'EVAL.PROBE', weight: 0.5 }, { code: 'EVAL.PROBE', weight: 0.2 }])).toMatch(/twice/);
    expect(validateMapping([{ code: 'EVAL.PROBE', weight: 0 }])).toMatch(/\(0, 1\]/);
    expect(validateMapping([{ code: 'EVAL.PROBE', weight: 1.01 }])).toMatch(/\(0, 1\]/);
    expect(validateMapping([{ code: 'EVAL.PROBE', weight: '0.5' }])).toMatch(/weight/);
    expect(validateMapping({ code: 'EVAL.PROBE', weight: 0.5 })).toMatch(/array/);
    expect(validateMapping([null])).toMatch(/object/);
  });
});
