// Shape of one entry of the item-level signature registry.
import type { DiagnoseContext, SignatureMatch } from '../types.ts';
import type { ItemFacts } from './facts.ts';

/** Outcomes a rule may apply to; TN never fails, pending is never diagnosed. */
export type FailureOutcome = 'FP' | 'FN' | 'TP';

export interface ItemSignatureDef {
  /** Family code, e.g. 'PER.MISS'; the concrete code adds '.<modality>' when perModality. */
  family: string;
  level: 'item';
  /** What the signature means (SPEC §4 "what it means"). */
  description: string;
  /** The observable rule, in words (SPEC §4 "rule"). */
  rule: string;
  /** The runner only calls detect() for items whose outcome is listed here. */
  appliesTo: readonly FailureOutcome[];
  /** Concrete codes are `${family}.${modality}` for each modality. */
  perModality?: boolean;
  /** Evaluated only when no non-fallback entry matched (UNPROBED / UNEXPLAINED). */
  fallback?: boolean;
  /** The match (full code + the numbers that fired it), or null. Never throws on missing data. */
  detect(facts: ItemFacts, ctx: DiagnoseContext): SignatureMatch | null;
}
