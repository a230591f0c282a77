// The model's interface (SPEC §7), as pure data: names, feature dims, the probe-row layout.
// No I/O and no weights, so the Worker-side client can import it cheaply.

export type ModalityName = 'audio' | 'visual' | 'text';
/** Column order of `modality_mask`. */
export const MODALITY_ORDER: readonly ModalityName[] = ['audio', 'visual', 'text'];

/** Feature dimension of each modality input of the reference model. */
export const DIMS: Readonly<Record<ModalityName, number>> = Object.freeze({ audio: 16, visual: 16, text: 32 });
export type FeatureDims = Readonly<Record<ModalityName, number>>;

export const MODEL_NAME = 'avlm';
export const MODEL_VERSION = '1';
/** Model inputs, in this order: audio [N,16], visual [N,16], text [N,32], modality_mask [N,3], policy_context [N,1]. */
export const INPUT_NAMES = ['audio', 'visual', 'text', 'modality_mask', 'policy_context'] as const;
export type InputName = (typeof INPUT_NAMES)[number];
/** The output: scores [N,P], sigmoid probabilities in POLICY_CODES order. */
export const OUTPUT_NAME = 'scores';

/**
 * The rows of one item's probe batch (SPEC §3): the full input (the prediction), then the
 * seven ablation probes. Masks in audio/visual/text order (1 = present).
 */
export const PROBE_ROWS = [
  { key: 'prediction', mask: [1, 1, 1], policyContext: 0 },
  { key: 'audio_only', mask: [1, 0, 0], policyContext: 0 },
  { key: 'visual_only', mask: [0, 1, 0], policyContext: 0 },
  { key: 'text_only', mask: [0, 0, 1], policyContext: 0 },
  { key: 'no_audio', mask: [0, 1, 1], policyContext: 0 },
  { key: 'no_visual', mask: [1, 0, 1], policyContext: 0 },
  { key: 'no_text', mask: [1, 1, 0], policyContext: 0 },
  { key: 'policy_context', mask: [1, 1, 1], policyContext: 1 },
] as const;
export type ProbeRowKey = (typeof PROBE_ROWS)[number]['key'];
/** Rows per item in a probe batch. */
export const ROWS_PER_ITEM = PROBE_ROWS.length;
