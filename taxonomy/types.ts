// Shared shapes of the taxonomy: the eval item of SPEC §3 and what diagnosis makes of it.
// Pure types: no I/O, usable from the Worker, the GPU backend and scripts alike.

export type Modality = 'audio' | 'visual' | 'text';
export const MODALITIES: readonly Modality[] = ['audio', 'visual', 'text'];

export type Surface = 'vod' | 'live' | 'short' | 'image';

export const PROBE_KEYS = [
  'audio_only', 'visual_only', 'text_only',
  'no_audio', 'no_visual', 'no_text',
  'policy_context',
] as const;
export type ProbeKey = (typeof PROBE_KEYS)[number];

export interface Vote { annotator: string; violating: boolean }

export interface EvalLabel {
  violating: boolean;
  source?: string;
  votes?: Vote[];
  evidence?: Modality[];
  adversarial?: boolean;
  [extra: string]: unknown;
}

export interface EvalPrediction {
  score: number;
  threshold?: number;
  parse_ok?: boolean;
  grounded?: boolean;
  [extra: string]: unknown;
}

export interface EvalItem {
  item_id: string;
  content_id?: string;
  surface: Surface;
  language?: string;
  policy: string;
  label?: EvalLabel;
  prediction?: EvalPrediction;
  probes?: Partial<Record<ProbeKey, number>>;
  signals?: { asr_confidence?: number; ocr_confidence?: number; [extra: string]: unknown };
  live?: { stream_id: string; segment: number; onset_ms?: number; flag_ms?: number; [extra: string]: unknown };
  media?: { video_uri?: string; audio_uri?: string; [extra: string]: unknown };
  features?: Partial<Record<Modality, number[]>>;
  [extra: string]: unknown;
}

export type Outcome = 'TP' | 'TN' | 'FP' | 'FN' | 'pending';

/** One signature that fired on an item, with the observable evidence that fired it. */
export interface SignatureMatch {
  code: string;
  evidence: Record<string, unknown>;
}

/** Decision and label of a neighbouring live segment (same stream, same slice). */
export interface SegmentFacts { decision: boolean; violating: boolean }

export interface DiagnoseContext {
  /** Effective threshold: the item's own, else its policy's default. */
  threshold: number;
  /** Segments n-1 and n+1 of the same stream in the same slice, when present and decided. */
  neighbours?: { prev?: SegmentFacts; next?: SegmentFacts };
  /** After label consensus (Dawid–Skene): the posterior probability of the item's current label. */
  consensusPosterior?: number;
}

export interface Diagnosis {
  outcome: Outcome;
  /** FP, FN, or a live TP detected late. */
  failure: boolean;
  /** First matching signature in precedence order; null when not a failure. */
  primary: string | null;
  /** Every signature that matched (the primary included), each with its evidence. */
  secondary: SignatureMatch[];
  /** A failure whose primary is LBL.AMBIG: reported, but not in the model's failure rate. */
  excluded: boolean;
}
