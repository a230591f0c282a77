// Fusion: a single modality decides correctly (or wrongly) on its own, and fusion
// of the full input reverses (or follows) it.
import type { ItemSignatureDef } from './types.ts';
import { onlyProbe, pickModality, withoutProbe } from './facts.ts';

export const FUS_SUPPRESS: ItemSignatureDef = {
  family: 'FUS.SUPPRESS',
  level: 'item',
  description: 'm was perceived alone but drowned in fusion',
  rule: 'FN and fires(<m>_only) (m = highest such probe)',
  appliesTo: ['FN'],
  perModality: true,
  detect(facts) {
    const m = pickModality(facts, (mod) => facts.fires(onlyProbe(mod)));
    if (!m) return null;
    const probe = onlyProbe(m);
    return { code: `FUS.SUPPRESS.${m}`, evidence: { modality: m, probe, score: facts.probe(probe), threshold: facts.threshold } };
  },
};

export const FUS_SHORTCUT: ItemSignatureDef = {
  family: 'FUS.SHORTCUT',
  level: 'item',
  description: 'one modality alone triggers a false alarm',
  rule: 'FP, fires(<m>_only) and not fires(no_<m>)',
  appliesTo: ['FP'],
  perModality: true,
  detect(facts) {
    // "not fires(no_m)" needs no_m present: an absent ablation is missing evidence.
    const m = pickModality(facts, (mod) => facts.fires(onlyProbe(mod)) && facts.quiet(withoutProbe(mod)));
    if (!m) return null;
    const probe = onlyProbe(m);
    const ablated = withoutProbe(m);
    return {
      code: `FUS.SHORTCUT.${m}`,
      evidence: {
        modality: m, probe, score: facts.probe(probe),
        ablated_probe: ablated, ablated_score: facts.probe(ablated), threshold: facts.threshold,
      },
    };
  },
};
