// The intervention catalogue of SPEC §5, as data: what the model team can change, through
// which lever, at which lifecycle stage, and at what cost tier.
import { CONFIG, type CostTier } from './config.ts';

export type Lever = 'data' | 'evaluation' | 'training' | 'architecture' | 'alignment' | 'inference';

/**
 * Stage as the SPEC table writes it; `null` where it says "—" (label and evaluation work
 * changes no model stage).
 */
export type InterventionStage =
  | 'sft' | 'sft/alignment' | 'pretrain/sft' | 'pretrain' | 'alignment' | 'production' | null;

export interface Intervention {
  code: string;
  name: string;
  description: string;
  lever: Lever;
  stage: InterventionStage;
  cost: CostTier;
}

export const INTERVENTIONS: readonly Intervention[] = [
  { code: 'DATA.TARGETED', name: 'Targeted data collection', description: 'targeted collection for (region, policy, modality)', lever: 'data', stage: 'sft', cost: 'high' },
  { code: 'DATA.COUNTEREX', name: 'Benign counter-examples', description: 'benign look-alikes (news, education, counter-speech)', lever: 'data', stage: 'sft', cost: 'medium' },
  { code: 'DATA.ADVERSARIAL', name: 'Adversarial augmentation', description: 'adversarial augmentation, red-team sets', lever: 'data', stage: 'sft/alignment', cost: 'medium' },
  { code: 'LABEL.GUIDELINE', name: 'Guideline clarification', description: 'clarify guideline, recalibrate vendor', lever: 'evaluation', stage: null, cost: 'low' },
  { code: 'LABEL.RELABEL', name: 'Relabelling', description: 'adjudicate / relabel the items', lever: 'evaluation', stage: null, cost: 'low' },
  { code: 'TRAIN.MODALITY_DROPOUT', name: 'Modality dropout', description: 'modality dropout, fusion rebalancing', lever: 'training', stage: 'pretrain/sft', cost: 'high' },
  { code: 'TRAIN.ENCODER', name: 'Encoder fine-tuning', description: "fine-tune the modality's encoder", lever: 'architecture', stage: 'pretrain', cost: 'high' },
  { code: 'TRAIN.POLICY_SFT', name: 'Policy-grounded SFT', description: 'policy-grounded SFT', lever: 'training', stage: 'sft', cost: 'medium' },
  { code: 'TRAIN.REGION_ADAPTER', name: 'Region adapter', description: 'region adapter / LoRA', lever: 'training', stage: 'sft', cost: 'medium' },
  { code: 'ALIGN.GROUNDING', name: 'Grounding preference tuning', description: 'faithfulness-rewarded preference tuning', lever: 'alignment', stage: 'alignment', cost: 'medium' },
  { code: 'ALIGN.FORMAT', name: 'Structured output', description: 'structured-output SFT, constrained decoding', lever: 'alignment', stage: 'alignment', cost: 'low' },
  { code: 'ARCH.SAMPLING', name: 'Sampling and temporal context', description: 'frame / audio sampling rate, temporal context', lever: 'architecture', stage: 'production', cost: 'medium' },
  { code: 'ARCH.ASR_LANG', name: 'ASR/OCR language coverage', description: 'ASR/OCR coverage for the language', lever: 'architecture', stage: 'pretrain', cost: 'high' },
  { code: 'INF.THRESHOLD', name: 'Per-region thresholds', description: 'per-region, per-policy thresholds', lever: 'inference', stage: 'production', cost: 'low' },
  { code: 'INF.CALIBRATE', name: 'Temperature scaling', description: 'per-region temperature scaling', lever: 'inference', stage: 'production', cost: 'low' },
  { code: 'INF.SMOOTHING', name: 'Temporal smoothing', description: 'temporal smoothing / hysteresis for live', lever: 'inference', stage: 'production', cost: 'low' },
  { code: 'INF.POLICY_PROMPT', name: 'Policy text at inference', description: 'policy text or retrieval at inference', lever: 'inference', stage: 'production', cost: 'low' },
  { code: 'EVAL.PROBE', name: 'Probes and slice discovery', description: 'run ablation probes / slice discovery', lever: 'evaluation', stage: null, cost: 'low' },
];

const BY_CODE: ReadonlyMap<string, Intervention> = new Map(INTERVENTIONS.map((i) => [i.code, i]));

export function getIntervention(code: string): Intervention | undefined {
  return BY_CODE.get(code);
}

export function isInterventionCode(code: string): boolean {
  return BY_CODE.has(code);
}

/** Cost of an intervention as a number (CONFIG.costTiers: low 1, medium 3, high 9). */
export function costValue(code: string): number {
  const i = BY_CODE.get(code);
  if (!i) throw new RangeError(`unknown intervention: ${code}`);
  return CONFIG.costTiers[i.cost];
}
