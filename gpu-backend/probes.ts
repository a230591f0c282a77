// The rows of one item's probe batch (SPEC §3): the full input, then the seven ablation
// probes. Masks are in audio/visual/text order (1 = present). Pure data: shared by the
// client (Worker-safe) and the model spec.

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
