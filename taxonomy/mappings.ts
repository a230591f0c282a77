// Signature → intervention mapping of SPEC §5: for each signature family, 1–4 interventions,
// each with the share of that family's failures it is expected to recover. Weights are
// judgement calls written down with their reason, so a region can argue with one and override it.
import { isInterventionCode } from './interventions.ts';
import { SLICE_SIGNATURE_CODES, type SliceSignatureCode } from './slice-signatures.ts';

export const ITEM_FAMILY_CODES = [
  'LBL.AMBIG', 'OUT.FORMAT', 'ADV.EVASION', 'LANG.ASR', 'PER.MISS', 'FUS.SUPPRESS',
  'FUS.SHORTCUT', 'POL.GAP', 'GRD.HALLUC', 'TMP.FLIP', 'TMP.LATE', 'THR.MARGIN',
  'UNPROBED', 'UNEXPLAINED',
] as const;

export type ItemFamilyCode = (typeof ITEM_FAMILY_CODES)[number];
export type MappedSignatureCode = ItemFamilyCode | SliceSignatureCode;

export interface MappingEntry {
  code: string;
  /** Share of the signature's failures this intervention is expected to recover, in (0, 1]. */
  weight: number;
}
export interface DefaultMappingEntry extends MappingEntry {
  rationale: string;
}

export const SIGNATURE_INTERVENTIONS: Readonly<Record<MappedSignatureCode, readonly DefaultMappingEntry[]>> = {
  'LBL.AMBIG': [
    { code: 'LABEL.RELABEL', weight: 0.9, rationale: 'Adjudication settles most items whose label is in doubt; a few stay genuinely borderline.' },
    { code: 'LABEL.GUIDELINE', weight: 0.5, rationale: 'A clearer guideline prevents the disagreement recurring, but fixes only the part caused by unclear rules, not rater noise.' },
  ],
  'OUT.FORMAT': [
    { code: 'ALIGN.FORMAT', weight: 0.9, rationale: 'Constrained decoding makes unparseable output impossible; a well-formed answer can still be the wrong decision, hence not 1.' },
  ],
  'ADV.EVASION': [
    { code: 'DATA.ADVERSARIAL', weight: 0.6, rationale: 'Augmenting with the obfuscations seen (leetspeak, overlays, pitch-shift) covers known tricks; new ones keep appearing.' },
    { code: 'DATA.TARGETED', weight: 0.3, rationale: 'Collecting real evasive content for the region adds the local tricks augmentation does not synthesise.' },
  ],
  'LANG.ASR': [
    { code: 'ARCH.ASR_LANG', weight: 0.7, rationale: 'Low ASR confidence on speech-borne violations points at missing language coverage; adding it restores the transcript the classifier needs.' },
    { code: 'DATA.TARGETED', weight: 0.4, rationale: 'Labelled speech in the language helps the model use imperfect transcripts, a partial fix without better ASR.' },
  ],
  'PER.MISS': [
    { code: 'TRAIN.ENCODER', weight: 0.5, rationale: 'The modality alone does not see the violation: the encoder lacks the concept, which fine-tuning it addresses most directly.' },
    { code: 'DATA.TARGETED', weight: 0.4, rationale: 'Examples of the missed content for this region and modality teach the concept, through whichever component learns it.' },
    { code: 'ARCH.SAMPLING', weight: 0.3, rationale: 'Some misses are brief events between sampled frames or audio windows; denser sampling catches those.' },
  ],
  'FUS.SUPPRESS': [
    { code: 'TRAIN.MODALITY_DROPOUT', weight: 0.6, rationale: 'The modality fires alone but is drowned by the others in fusion; dropout forces the model to rely on every modality.' },
    { code: 'DATA.TARGETED', weight: 0.3, rationale: 'Examples where only this modality carries the violation teach fusion to weigh it.' },
  ],
  'FUS.SHORTCUT': [
    { code: 'DATA.COUNTEREX', weight: 0.6, rationale: 'One modality alone raises the alarm on benign content; benign look-alikes in that modality break the shortcut.' },
    { code: 'TRAIN.MODALITY_DROPOUT', weight: 0.4, rationale: 'Rebalancing fusion stops any single modality from deciding alone.' },
  ],
  'POL.GAP': [
    { code: 'INF.POLICY_PROMPT', weight: 0.8, rationale: 'The probe already shows the model decides right with the policy text in context; supplying it at inference recovers most of these.' },
    { code: 'TRAIN.POLICY_SFT', weight: 0.6, rationale: 'Training on policy-grounded examples builds the missing policy knowledge in, but less reliably than the text in context.' },
  ],
  'GRD.HALLUC': [
    { code: 'ALIGN.GROUNDING', weight: 0.6, rationale: 'Rewarding rationales that cite present evidence targets the hallucination directly.' },
    { code: 'ARCH.SAMPLING', weight: 0.2, rationale: 'Part of the invented evidence fills gaps between sampled frames; more temporal context leaves less to invent.' },
  ],
  'TMP.FLIP': [
    { code: 'INF.SMOOTHING', weight: 0.8, rationale: 'An isolated segment disagreeing with both neighbours is what hysteresis removes by construction.' },
    { code: 'ARCH.SAMPLING', weight: 0.3, rationale: 'Longer temporal context per segment makes neighbouring decisions agree in the first place.' },
  ],
  'TMP.LATE': [
    { code: 'ARCH.SAMPLING', weight: 0.6, rationale: 'Late flags come from sparse sampling or a long decision window; sampling sooner and denser flags earlier.' },
    { code: 'INF.SMOOTHING', weight: 0.3, rationale: 'Hysteresis with a lower entry threshold flags a rising score earlier; smoothing that only averages would not help.' },
  ],
  'THR.MARGIN': [
    { code: 'INF.THRESHOLD', weight: 0.6, rationale: 'Boundary errors of the dominant direction move to the right side with a region-specific threshold; the other direction may get worse.' },
    { code: 'INF.CALIBRATE', weight: 0.5, rationale: 'Temperature scaling re-spreads scores around the threshold, fixing near-misses when the region is miscalibrated.' },
  ],
  UNPROBED: [
    { code: 'EVAL.PROBE', weight: 0.8, rationale: 'Running the probes turns these failures into diagnosable signatures; most get one, and its own interventions then apply.' },
  ],
  UNEXPLAINED: [
    { code: 'EVAL.PROBE', weight: 0.5, rationale: 'Probes ran and explained nothing; slice discovery finds a pattern for some of these.' },
    { code: 'DATA.TARGETED', weight: 0.2, rationale: 'Without a diagnosis, more data for the region and policy is the generic fallback, and a weak one.' },
  ],
  'CAL.MISFIT': [
    { code: 'INF.CALIBRATE', weight: 0.7, rationale: 'A high ECE is what temperature scaling per region corrects.' },
    { code: 'INF.THRESHOLD', weight: 0.6, rationale: 'A lopsided FP:FN split is corrected by moving the threshold toward balance.' },
  ],
  'REG.DISPARITY': [
    { code: 'TRAIN.REGION_ADAPTER', weight: 0.5, rationale: 'A region worse than the global rate lacks local knowledge; an adapter adds it without touching other regions.' },
    { code: 'DATA.TARGETED', weight: 0.5, rationale: 'Collecting the region’s own traffic for the policy closes the gap from the data side.' },
    { code: 'INF.THRESHOLD', weight: 0.2, rationale: 'Part of a disparity is an ill-fitting global threshold; retuning it is cheap.' },
  ],
  'VER.REGRESSION': [
    { code: 'EVAL.PROBE', weight: 0.6, rationale: 'Probing the regressed items shows which component changed between versions, before anything is retrained.' },
    { code: 'DATA.TARGETED', weight: 0.3, rationale: 'Replaying or adding the data the new version lost coverage of repairs part of a regression.' },
  ],
  'DIST.SHIFT': [
    { code: 'DATA.TARGETED', weight: 0.5, rationale: 'New traffic (languages, surfaces, content) is best covered by collecting it.' },
    { code: 'INF.CALIBRATE', weight: 0.4, rationale: 'A shifted score distribution often needs recalibration first, and it is cheap.' },
    { code: 'TRAIN.REGION_ADAPTER', weight: 0.3, rationale: 'An adapter retrained on the new mix absorbs a lasting shift.' },
  ],
};

const MAPPED = new Set<string>([...ITEM_FAMILY_CODES, ...SLICE_SIGNATURE_CODES]);

/** A family or slice-level code that carries a mapping (and so may be overridden). */
export function isMappedSignature(code: string): code is MappedSignatureCode {
  return MAPPED.has(code);
}

/** The default mapping of a family or slice-level code; [] for anything else. */
export function defaultMapping(code: string): readonly DefaultMappingEntry[] {
  return isMappedSignature(code) ? SIGNATURE_INTERVENTIONS[code] : [];
}

export const MAX_MAPPING_ENTRIES = 4;

/**
 * Checks a mapping (a default or a region's override) against SPEC §5: 1–4 entries, known
 * intervention codes, no code twice, weight a number in (0, 1]. Takes `unknown` because
 * overrides arrive as request bodies. Returns the first problem in words, or null when valid.
 */
export function validateMapping(entries: unknown): string | null {
  if (!Array.isArray(entries)) return 'interventions must be an array';
  if (entries.length < 1 || entries.length > MAX_MAPPING_ENTRIES) {
    return `interventions must have 1 to ${MAX_MAPPING_ENTRIES} entries, got ${entries.length}`;
  }
  const seen = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (typeof e !== 'object' || e === null) return `interventions[${i}] must be an object`;
    const { code, weight } = e as { code?: unknown; weight?: unknown };
    if (typeof code !== 'string' || !isInterventionCode(code)) return `interventions[${i}].code: unknown intervention ${JSON.stringify(code)}`;
    if (seen.has(code)) return `interventions[${i}].code: ${code} appears twice`;
    seen.add(code);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > 1) {
      return `interventions[${i}].weight must be a number in (0, 1], got ${JSON.stringify(weight)}`;
    }
  }
  return null;
}
