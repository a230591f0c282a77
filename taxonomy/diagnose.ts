// Item diagnosis (SPEC §2–§4): outcome, failure, primary and secondary signatures.
import type { DiagnoseContext, Diagnosis, EvalItem, SignatureMatch } from './types.ts';
import { itemFacts, type ItemFacts } from './signatures/facts.ts';
import { ITEM_SIGNATURES } from './signatures/registry.ts';
import type { FailureOutcome } from './signatures/types.ts';

export { outcomeOf, effectiveThreshold } from './signatures/facts.ts';

/** Every registry match for a failing item, in precedence order; fallbacks only if none. */
export function matchSignatures(facts: ItemFacts, ctx: DiagnoseContext): SignatureMatch[] {
  if (!facts.failure) return [];
  const outcome = facts.outcome as FailureOutcome;
  const run = (fallback: boolean): SignatureMatch[] => {
    const out: SignatureMatch[] = [];
    for (const def of ITEM_SIGNATURES) {
      if (!!def.fallback !== fallback || !def.appliesTo.includes(outcome)) continue;
      const match = def.detect(facts, ctx);
      if (match) out.push(match);
    }
    return out;
  };
  const explained = run(false);
  return explained.length > 0 ? explained : run(true);
}

/**
 * Diagnose one item. ctx.threshold is the effective threshold (see effectiveThreshold);
 * ctx.neighbours come from StreamIndex (live.ts); ctx.consensusPosterior from label consensus.
 * Not a failure (TN, timely TP, pending): primary null, secondary [].
 */
export function diagnoseItem(item: EvalItem, ctx: DiagnoseContext): Diagnosis {
  const facts = itemFacts(item, ctx.threshold);
  const secondary = matchSignatures(facts, ctx);
  const primary = secondary.length > 0 ? secondary[0].code : null;
  return {
    outcome: facts.outcome,
    failure: facts.failure,
    primary,
    secondary,
    excluded: primary === 'LBL.AMBIG',
  };
}
