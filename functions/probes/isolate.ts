// Probing a job's items so that one malformed item cannot sink the others: items whose
// features do not fit the model are set aside without a backend call, and a batch the backend
// refuses as malformed is bisected until the refused items stand alone. Anything else
// (5xx, timeouts, a missing model) propagates: the queue retries, then dead-letters the job.
import { InferenceError, runProbes, type FeatureDims, type InferenceBackend, type ProbeResult } from '../../gpu-backend/client/index.ts';
import { INPUT_NAMES } from '../../gpu-backend/interface.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { featureLengthIssue } from '../lib/feature-dims.ts';

/** Per item: its probe results, or why the backend can never score it. */
export type ProbeOutcome = { ok: ProbeResult } | { error: string };

const REASON_CHARS = 500;

/** True when the backend refused the batch's content: retrying it whole cannot succeed, but a
 *  smaller batch without the offending items can. 401/403/404/429 are about the deployment
 *  or its load, not the items (they keep the retry → dead-letter path). */
export function isInputRefusal(e: unknown): e is InferenceError {
  if (!(e instanceof InferenceError)) return false;
  if (e.code === 'bad_input') return true; // probeBatch refused an item before sending
  if (e.code !== 'http') return false;
  if (e.status === 400 || e.status === 413 || e.status === 422) return true;
  // A server that reports a bad tensor with another status still names the input.
  return INPUT_NAMES.some((n) => new RegExp(`input[^a-z]{0,3}['"]?${n}\\b`, 'i').test(e.message));
}

/** probeBatch words its errors "item <i>: …"; alone, the index says nothing. */
const reasonOf = (e: InferenceError) => e.message.replace(/^item \d+: /, '').slice(0, REASON_CHARS);

export async function probeIsolating(backend: InferenceBackend, items: readonly EvalItem[], dims: FeatureDims): Promise<ProbeOutcome[]> {
  const out: ProbeOutcome[] = new Array(items.length);
  const fit: number[] = [];
  items.forEach((item, i) => {
    const bad = featureLengthIssue(item.features, dims);
    if (bad) out[i] = { error: `${bad.field} ${bad.message}` };
    else fit.push(i);
  });
  await bisect(backend, items, fit, dims, out);
  // A backend that refuses every one of several items is misconfigured (input names, dims), not
  // fed bad items: marking them all unprobeable could not be undone, so the job fails instead
  // (dead letter; a replay after the fix probes them).
  const refused = fit.filter((i) => 'error' in out[i]);
  if (fit.length >= 2 && refused.length === fit.length) {
    throw new InferenceError('http', `the backend refused each of the ${fit.length} items of this job alone (${(out[refused[0]] as { error: string }).error}): a deployment problem, not the items`, { retryable: false, status: 400 });
  }
  return out;
}

async function bisect(backend: InferenceBackend, items: readonly EvalItem[], idx: number[], dims: FeatureDims, out: ProbeOutcome[]): Promise<void> {
  if (idx.length === 0) return;
  try {
    const results = await runProbes(backend, idx.map((i) => items[i]), { dims });
    idx.forEach((i, k) => { out[i] = { ok: results[k] }; });
  } catch (e) {
    if (!isInputRefusal(e)) throw e;
    if (idx.length === 1) {
      out[idx[0]] = { error: reasonOf(e) };
      return;
    }
    const mid = idx.length >> 1;
    await bisect(backend, items, idx.slice(0, mid), dims, out);
    await bisect(backend, items, idx.slice(mid), dims, out);
  }
}
