// Per-item facts every rule reads: threshold, decision, outcome, probes. Derived once,
// so rules stay one-liners and agree on what "present" and "fires" mean.
import { CONFIG } from '../config.ts';
import { policyByCode } from '../policies.ts';
import { MODALITIES, type EvalItem, type Modality, type Outcome, type ProbeKey } from '../types.ts';

export interface ItemFacts {
  item: EvalItem;
  /** Effective threshold T. */
  threshold: number;
  outcome: Outcome;
  /** prediction.score, when a prediction exists. */
  score?: number;
  /** score >= T, when a prediction exists. */
  decision?: boolean;
  /** label.violating, when a label exists. */
  violating?: boolean;
  /** Live timing, when item.live has numeric onset_ms and flag_ms. */
  delayMs?: number;
  /** Live TP with flag_ms - onset_ms > lateMs (SPEC §4 TMP.LATE). */
  late: boolean;
  /** FP, FN, or a late live TP. */
  failure: boolean;
  /** The probe's score when present (a finite number), else undefined. */
  probe(p: ProbeKey): number | undefined;
  /** fires(p) of SPEC §4: probe present and >= T. */
  fires(p: ProbeKey): boolean;
  /** Probe present and < T (present but not firing). */
  quiet(p: ProbeKey): boolean;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The item's own prediction.threshold when present, else the policy default: the given
 * one, or (when omitted) the default of the item's policy in POLICIES.
 */
export function effectiveThreshold(item: EvalItem, policyDefault?: number): number {
  const own = item.prediction?.threshold;
  if (isNum(own)) return own;
  if (isNum(policyDefault)) return policyDefault;
  const policy = policyByCode(item.policy);
  if (!policy) throw new RangeError(`no threshold for item ${item.item_id}: unknown policy ${item.policy}`);
  return policy.threshold;
}

/** SPEC §2: pending without label or prediction; predicted = score >= T (T itself is positive). */
export function outcomeOf(item: EvalItem, threshold: number): Outcome {
  if (!item.label || !item.prediction) return 'pending';
  const predicted = item.prediction.score >= threshold;
  const violating = item.label.violating;
  if (predicted) return violating ? 'TP' : 'FP';
  return violating ? 'FN' : 'TN';
}

// A class, not an object literal with three closures: one allocation per diagnosed item.
class Facts implements ItemFacts {
  readonly score?: number;
  readonly decision?: boolean;
  readonly violating?: boolean;
  readonly delayMs?: number;
  readonly late: boolean;
  readonly failure: boolean;
  // Plain fields, not constructor parameter properties: Node's type stripping cannot run those.
  readonly item: EvalItem;
  readonly threshold: number;
  readonly outcome: Outcome;

  constructor(item: EvalItem, threshold: number, outcome: Outcome) {
    this.item = item;
    this.threshold = threshold;
    this.outcome = outcome;
    const decided = outcome !== 'pending';
    const score = item.prediction?.score;
    // "Live" = the item carries a live block with both timestamps; surface is not consulted,
    // since the timestamps are the evidence TMP.LATE needs.
    const onset = item.live?.onset_ms;
    const flag = item.live?.flag_ms;
    const delayMs = isNum(onset) && isNum(flag) ? flag - onset : undefined;
    this.score = decided ? score : undefined;
    this.decision = decided ? (score as number) >= threshold : undefined;
    this.violating = decided ? item.label!.violating : undefined;
    this.delayMs = delayMs;
    this.late = outcome === 'TP' && delayMs !== undefined && delayMs > CONFIG.lateMs;
    this.failure = outcome === 'FP' || outcome === 'FN' || this.late;
  }

  probe(p: ProbeKey): number | undefined {
    const v = this.item.probes?.[p];
    return isNum(v) ? v : undefined;
  }

  fires(p: ProbeKey): boolean {
    const v = this.probe(p);
    return v !== undefined && v >= this.threshold;
  }

  quiet(p: ProbeKey): boolean {
    const v = this.probe(p);
    return v !== undefined && v < this.threshold;
  }
}

export function itemFacts(item: EvalItem, threshold: number): ItemFacts {
  return new Facts(item, threshold, outcomeOf(item, threshold));
}

export const onlyProbe = (m: Modality): ProbeKey => `${m}_only` as ProbeKey;
export const withoutProbe = (m: Modality): ProbeKey => `no_${m}` as ProbeKey;

/**
 * Among modalities that qualify for a rule, the one with the highest probe score names it;
 * ties go to the earlier of audio, visual, text (SPEC §4). Null when none qualifies.
 */
export function pickModality(
  facts: ItemFacts,
  qualifies: (m: Modality) => boolean,
  probeOf: (m: Modality) => ProbeKey = onlyProbe,
): Modality | null {
  let best: Modality | null = null;
  let bestScore = -Infinity;
  for (const m of MODALITIES) {
    if (!qualifies(m)) continue;
    const s = facts.probe(probeOf(m)) ?? -Infinity;
    // Strictly greater: an equal later modality never displaces an earlier one.
    if (best === null || s > bestScore) { best = m; bestScore = s; }
  }
  return best;
}
