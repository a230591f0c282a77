// Label trust: when raters disagree, the label rather than the model is in doubt.
import { CONFIG } from '../config.ts';
import type { ItemSignatureDef } from './types.ts';

export const LBL_AMBIG: ItemSignatureDef = {
  family: 'LBL.AMBIG',
  level: 'item',
  description: 'the label, not the model, is in doubt',
  rule: `≥${CONFIG.ambigMinVotes} votes and either the majority share < ${CONFIG.ambigMajorityShare.toFixed(2)} `
    + `or the label contradicts the majority (after consensus: the item's posterior for its label < ${CONFIG.ambigPosterior.toFixed(2)})`,
  appliesTo: ['FP', 'FN'],
  detect(facts, ctx) {
    const label = facts.item.label!;
    const votes = label.votes ?? [];
    if (votes.length < CONFIG.ambigMinVotes) return null;
    const posterior = ctx.consensusPosterior;
    // After consensus the posterior replaces the raw vote count (it weighs annotator quality).
    if (typeof posterior === 'number' && Number.isFinite(posterior)) {
      if (posterior >= CONFIG.ambigPosterior) return null;
      return { code: 'LBL.AMBIG', evidence: { votes: votes.length, posterior, min_posterior: CONFIG.ambigPosterior } };
    }
    const yes = votes.filter((v) => v.violating).length;
    const no = votes.length - yes;
    const share = Math.max(yes, no) / votes.length; // a 50/50 tie has share 0.5
    const majority: boolean | null = yes === no ? null : yes > no;
    const contradicts = majority !== null && majority !== label.violating;
    if (share >= CONFIG.ambigMajorityShare && !contradicts) return null;
    return {
      code: 'LBL.AMBIG',
      evidence: {
        votes: votes.length, violating_votes: yes, majority, majority_share: share,
        min_share: CONFIG.ambigMajorityShare, label: label.violating,
      },
    };
  },
};
