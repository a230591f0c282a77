// Moderation policies (SPEC §2): code, severity weight and default decision threshold.
//
// ORDER MATTERS: the position of a policy in POLICIES is the column of its score in the
// model's `scores` output (SPEC §7, `[-1, P]`), and `GET /v1/policies` lists them in this
// order. Append new policies at the end; never reorder or remove, or every deployed
// model's outputs are read against the wrong policy.

export interface PolicyDef {
  /** Dotted policy code, as used in eval items. */
  code: string;
  name: string;
  description: string;
  /** Severity weight (1 = lowest … 5 = highest); multiplies recoverable failures (SPEC §5). */
  severity: number;
  /** Default decision threshold, used when an item's prediction carries none. */
  threshold: number;
}

// High-severity policies get lower default thresholds: a miss costs more than a false alarm.
export const POLICIES: readonly PolicyDef[] = Object.freeze([
  { code: 'adult.nudity', name: 'Adult nudity', description: 'Sexual content or nudity of adults.', severity: 3, threshold: 0.5 },
  { code: 'violence.graphic', name: 'Graphic violence', description: 'Gore, serious injury or killing shown graphically.', severity: 4, threshold: 0.5 },
  { code: 'hate.slur', name: 'Hate speech', description: 'Slurs or dehumanising speech against protected groups, in speech, image or text.', severity: 4, threshold: 0.5 },
  { code: 'minor.safety', name: 'Minor safety', description: 'Sexualisation, abuse or endangerment of minors.', severity: 5, threshold: 0.35 },
  { code: 'dangerous.acts', name: 'Dangerous acts', description: 'Challenges, stunts or instructions likely to cause serious harm.', severity: 4, threshold: 0.5 },
  { code: 'spam.scam', name: 'Spam and scams', description: 'Fraud, phishing, fake giveaways and deceptive spam.', severity: 2, threshold: 0.6 },
  { code: 'regulated.goods', name: 'Regulated goods', description: 'Sale or promotion of drugs, weapons, alcohol, tobacco or gambling.', severity: 3, threshold: 0.5 },
  { code: 'self_harm', name: 'Self-harm', description: 'Suicide or self-injury shown, encouraged or instructed.', severity: 5, threshold: 0.4 },
].map((p) => Object.freeze(p)));

export const POLICY_CODES: readonly string[] = Object.freeze(POLICIES.map((p) => p.code));

const BY_CODE = new Map(POLICIES.map((p) => [p.code, p]));

/** The policy with that code, or undefined when it is not a known policy. */
export function policyByCode(code: string): PolicyDef | undefined {
  return BY_CODE.get(code);
}

/** Column of the policy in the model's score output (SPEC §7), or -1 when unknown. */
export function policyIndex(code: string): number {
  return POLICY_CODES.indexOf(code);
}
