// Policy knowledge: adding the policy text to the input fixes the decision.
import type { ItemSignatureDef } from './types.ts';

export const POL_GAP: ItemSignatureDef = {
  family: 'POL.GAP',
  level: 'item',
  description: 'with the policy text the model gets it right: it lacks policy knowledge',
  rule: 'policy_context present and (policy_context >= T) == label.violating',
  appliesTo: ['FP', 'FN'],
  detect(facts) {
    const score = facts.probe('policy_context');
    if (score === undefined || facts.fires('policy_context') !== facts.violating) return null;
    return { code: 'POL.GAP', evidence: { probe: 'policy_context', score, threshold: facts.threshold, label: facts.violating } };
  },
};
