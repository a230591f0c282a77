// Output quality: the model's answer itself is unusable or unfaithful.
import type { ItemSignatureDef } from './types.ts';

export const OUT_FORMAT: ItemSignatureDef = {
  family: 'OUT.FORMAT',
  level: 'item',
  description: "the model's output was unusable",
  rule: 'parse_ok === false',
  appliesTo: ['FP', 'FN'],
  // Strict false: an absent parse_ok is missing evidence, not a parse failure.
  detect: (facts) => (facts.item.prediction?.parse_ok === false
    ? { code: 'OUT.FORMAT', evidence: { parse_ok: false } } : null),
};

export const GRD_HALLUC: ItemSignatureDef = {
  family: 'GRD.HALLUC',
  level: 'item',
  description: 'rationale cites evidence that is not there',
  rule: 'grounded === false',
  appliesTo: ['FP', 'FN'],
  detect: (facts) => (facts.item.prediction?.grounded === false
    ? { code: 'GRD.HALLUC', evidence: { grounded: false } } : null),
};
