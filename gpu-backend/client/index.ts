// The GPU-backend client for the Worker and scripts (SPEC §7): one InferenceBackend over
// two transports, and the probe batch of SPEC §3. Workers-safe: fetch/AbortSignal only.
//
//   const backend = createBackend({ transport: 'oip', url: 'http://127.0.0.1:8000', model: 'avlm', timeoutMs: 5000 });
//   const results = await runProbes(backend, items);   // [{score, probes: {audio_only, …}}]

import { POLICY_CODES, policyIndex as taxonomyPolicyIndex } from '../../taxonomy/policies.ts';
import type { ProbeKey } from '../../taxonomy/types.ts';
import { DIMS, MODALITY_ORDER, PROBE_ROWS, ROWS_PER_ITEM, type FeatureDims, type ModalityName } from '../interface.ts';
import { HfBackend } from './hf.ts';
import { OipBackend } from './oip.ts';
import { InferenceError, type BackendConfig, type InferenceBackend, type InferenceBatch, type InferOptions } from './types.ts';

export { InferenceError, retryableStatus } from './types.ts';
export type { BackendConfig, InferenceBackend, InferenceBatch, InferenceErrorCode, InferOptions } from './types.ts';
export { OipBackend } from './oip.ts';
export { HfBackend } from './hf.ts';
export { DIMS, PROBE_ROWS, ROWS_PER_ITEM } from '../interface.ts';
export type { FeatureDims } from '../interface.ts';

export function createBackend(config: BackendConfig): InferenceBackend {
  const cfg = { ...config, policies: config.policies ?? POLICY_CODES.length };
  if (!cfg.url) throw new InferenceError('bad_input', 'createBackend: url is required', { retryable: false });
  switch (cfg.transport) {
    case 'oip':
      return new OipBackend(cfg);
    case 'hf':
      return new HfBackend(cfg);
    default:
      throw new InferenceError('bad_input', `createBackend: unknown transport ${JSON.stringify((cfg as { transport: unknown }).transport)}`, { retryable: false });
  }
}

/** What probeBatch needs of an eval item (SPEC §3): its policy and its features. */
export interface ProbeItem {
  policy: string;
  features?: Partial<Record<ModalityName, number[]>> | null;
}

export interface ProbeResult {
  /** Column of the item's policy in the scores. */
  policyIndex: number;
  /** The full-input score: the item's prediction. */
  score: number;
  /**
   * The seven probes for the item's policy. A modality the item has no features for has
   * no `<m>_only` / `no_<m>` probe (it would score an absent input), so it is left out.
   */
  probes: Partial<Record<ProbeKey, number>>;
}

export interface ProbeBatch {
  batch: InferenceBatch;
  rowsPerItem: number;
  /** Maps the backend's scores ([items·8][P]) back to one result per item. */
  decode(scores: number[][]): ProbeResult[];
}

/** True when the item has features for at least one modality (so the model can score it). */
export function hasFeatures(item: ProbeItem): boolean {
  return MODALITY_ORDER.some((m) => Array.isArray(item.features?.[m]));
}

/**
 * Builds ONE batch with 8 rows per item — the full input, then audio_only, visual_only,
 * text_only, no_audio, no_visual, no_text (masks) and policy_context (full input,
 * policy_context = 1). A modality without features is zeros with mask 0 in every row.
 * Throws InferenceError('bad_input') for an unknown policy, an item without any features,
 * or features of the wrong length.
 */
export function probeBatch(items: readonly ProbeItem[], featuresDims: FeatureDims = DIMS, policyCodes: readonly string[] = POLICY_CODES): ProbeBatch {
  const batch: InferenceBatch = { audio: [], visual: [], text: [], modality_mask: [], policy_context: [] };
  const indexOf = policyCodes === POLICY_CODES ? taxonomyPolicyIndex : (c: string) => policyCodes.indexOf(c);
  const meta = items.map((item, i) => {
    const where = `item ${i}`;
    const p = indexOf(item.policy);
    if (p < 0) throw new InferenceError('bad_input', `${where}: unknown policy ${JSON.stringify(item.policy)}`, { retryable: false });
    if (!hasFeatures(item)) throw new InferenceError('bad_input', `${where}: no features for any modality`, { retryable: false });
    const present = MODALITY_ORDER.map((m) => Array.isArray(item.features?.[m]));
    const vectors = MODALITY_ORDER.map((m, k) => {
      const d = featuresDims[m];
      if (!present[k]) return new Array<number>(d).fill(0);
      const v = item.features![m]!;
      if (v.length !== d) throw new InferenceError('bad_input', `${where}: features.${m} has ${v.length} values, the model takes ${d}`, { retryable: false });
      if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new InferenceError('bad_input', `${where}: features.${m} has a non-finite value`, { retryable: false });
      return v;
    });
    for (const row of PROBE_ROWS) {
      batch.audio.push(vectors[0]);
      batch.visual.push(vectors[1]);
      batch.text.push(vectors[2]);
      batch.modality_mask.push(row.mask.map((on, k) => (on && present[k] ? 1 : 0)));
      batch.policy_context.push([row.policyContext]);
    }
    return { p, present };
  });
  return {
    batch,
    rowsPerItem: ROWS_PER_ITEM,
    decode(scores: number[][]): ProbeResult[] {
      if (scores.length !== meta.length * ROWS_PER_ITEM) {
        throw new InferenceError('malformed', `expected ${meta.length * ROWS_PER_ITEM} score rows, got ${scores.length}`, { retryable: false });
      }
      return meta.map(({ p, present }, i) => {
        const at = (k: number) => {
          const v = scores[i * ROWS_PER_ITEM + k]?.[p];
          if (typeof v !== 'number') throw new InferenceError('malformed', `no score for policy column ${p}`, { retryable: false });
          return v;
        };
        const probes: Partial<Record<ProbeKey, number>> = {};
        PROBE_ROWS.forEach((row, k) => {
          if (row.key === 'prediction') return;
          const m = row.key.endsWith('_only') ? row.key.slice(0, -5) : row.key.startsWith('no_') ? row.key.slice(3) : undefined;
          if (m !== undefined && !present[MODALITY_ORDER.indexOf(m as ModalityName)]) return;
          probes[row.key] = at(k);
        });
        return { policyIndex: p, score: at(0), probes };
      });
    },
  };
}

/** probeBatch + one backend call: the prediction and probes of every item. */
export async function runProbes(backend: InferenceBackend, items: readonly ProbeItem[], options: InferOptions & { dims?: FeatureDims } = {}): Promise<ProbeResult[]> {
  if (items.length === 0) return [];
  const pb = probeBatch(items, options.dims ?? DIMS);
  return pb.decode(await backend.infer(pb.batch, { signal: options.signal }));
}
