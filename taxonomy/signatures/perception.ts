// Perception: the rater saw the violation in modality m, but m alone does not move the model.
import type { ItemSignatureDef } from './types.ts';
import { onlyProbe, pickModality } from './facts.ts';

export const PER_MISS: ItemSignatureDef = {
  family: 'PER.MISS',
  level: 'item',
  description: 'modality m was not perceived',
  rule: 'FN, evidence ∋ m, <m>_only present and not firing',
  appliesTo: ['FN'],
  perModality: true,
  detect(facts) {
    const evidence = facts.item.label?.evidence ?? [];
    const m = pickModality(facts, (mod) => evidence.includes(mod) && facts.quiet(onlyProbe(mod)));
    if (!m) return null;
    const probe = onlyProbe(m);
    return {
      code: `PER.MISS.${m}`,
      evidence: { modality: m, probe, score: facts.probe(probe), threshold: facts.threshold, label_evidence: [...evidence] },
    };
  },
};
