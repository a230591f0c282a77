// Fallbacks: a failure no rule explains is either unprobed (queue probes) or open.
import { PROBE_KEYS } from '../types.ts';
import type { ItemFacts } from './facts.ts';
import type { ItemSignatureDef } from './types.ts';

const presentProbes = (facts: ItemFacts) => PROBE_KEYS.filter((p) => facts.probe(p) !== undefined);

export const UNPROBED: ItemSignatureDef = {
  family: 'UNPROBED',
  level: 'item',
  description: 'needs probes: queue them on the GPU backend',
  rule: 'none of the above, and none of the seven probes present',
  appliesTo: ['FP', 'FN'],
  fallback: true,
  detect: (facts) => (presentProbes(facts).length === 0 ? { code: 'UNPROBED', evidence: { probes_present: [] } } : null),
};

export const UNEXPLAINED: ItemSignatureDef = {
  family: 'UNEXPLAINED',
  level: 'item',
  description: 'open question: goes to slice discovery',
  rule: 'none of the above, some probe present',
  appliesTo: ['FP', 'FN'],
  fallback: true,
  detect(facts) {
    const present = presentProbes(facts);
    return present.length > 0 ? { code: 'UNEXPLAINED', evidence: { probes_present: present } } : null;
  },
};
