// FP16 accuracy drift of TensorRT against the ONNX model, on the demo's features.
//
//   node --experimental-strip-types gpu-backend/drift.ts --providers tensorrt          # local: this machine's TensorRT
//   node --experimental-strip-types gpu-backend/drift.ts --url http://triton:8000 --model avlm_trt   # a served model (OIP)
//        [--regions 8] [--items 1000] [--seed 42] [--max-diff 0.01] [--min-agreement 0.99] [--json]
//
// Reference: the ONNX model in FP32 on onnxruntime's CPU provider (exact, what the tests check
// against referenceForward). Candidate: the same ONNX on a pinned local provider (tensorrt,
// FP16 with the server's settings — no fallback: a provider that does not load is an error),
// or a served model by name (Triton's avlm_trt plan or avlm_ort_trt). Rows: the demo world's
// items with features (scripts/demo/world.ts, same seed as `npm run demo`), each as its 8-row
// probe batch (prediction and the seven probes), so the drift covers masked inputs too.
// Prints the max absolute score difference and, per policy, the agreement of the decisions
// `score >= threshold` at the policy's threshold; exits 1 when over --max-diff or under
// --min-agreement.

import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { DEMO_REGIONS, generateWorld } from '../scripts/demo/world.ts';
import { POLICIES } from '../taxonomy/policies.ts';
import { createBackend, probeBatch, type ProbeItem } from './client/index.ts';
import type { InferenceBatch } from './client/types.ts';
import { compareScores, driftMarkdown } from './drift-compare.ts';
import { INPUT_NAMES } from './interface.ts';
import { MAX_BATCH_SIZE, modelPath } from './model/repository.ts';
import { loadSession } from './server/session.ts';
import { parseProviders } from './server/providers.ts';

/** The demo world's items with features (deterministic for a seed). */
export function demoItems(seed: number, regions: number, itemsPerRegion: number): ProbeItem[] {
  const world = generateWorld({ seed, regions: DEMO_REGIONS.slice(0, regions) as string[], itemsPerRegion, versions: 1 });
  return world.slices.flatMap((s) => s.items).filter((i) => i.features).map((i) => ({ policy: i.policy, features: i.features }));
}

/** session.run in chunks of at most max_batch_size rows (a TensorRT profile accepts no more). */
export async function runLocal(session: ort.InferenceSession, batch: InferenceBatch): Promise<number[][]> {
  const rows = batch.audio.length;
  const out: number[][] = [];
  for (let start = 0; start < rows; start += MAX_BATCH_SIZE) {
    const n = Math.min(MAX_BATCH_SIZE, rows - start);
    const feeds = Object.fromEntries(INPUT_NAMES.map((name) => {
      const slice = batch[name].slice(start, start + n);
      return [name, new ort.Tensor('float32', Float32Array.from(slice.flat()), [n, slice[0].length])];
    }));
    const scores = (await session.run(feeds)).scores;
    const [, width] = scores.dims as number[];
    const data = scores.data as Float32Array;
    for (let r = 0; r < n; r++) out.push(Array.from(data.subarray(r * width, (r + 1) * width)));
  }
  return out;
}

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      providers: { type: 'string' }, url: { type: 'string' }, model: { type: 'string', default: 'avlm_trt' },
      regions: { type: 'string', default: '8' }, items: { type: 'string', default: '1000' }, seed: { type: 'string', default: '42' },
      'max-diff': { type: 'string', default: '0.01' }, 'min-agreement': { type: 'string', default: '0.99' }, json: { type: 'boolean', default: false },
    },
  });
  if (!a.providers === !a.url) throw new Error('give the candidate: --providers tensorrt (local) or --url URL [--model avlm_trt] (served)');
  // ORT's logger is process-wide and fixed by the first session: keep a failed GPU load quiet (we report it).
  if (a.providers && !process.env.ORT_LOG_LEVEL) ort.env.logLevel = 'fatal';
  const items = demoItems(Number(a.seed), Number(a.regions), Number(a.items));
  const { batch } = probeBatch(items);
  const rows = batch.audio.length;

  const reference = await loadSession(modelPath(), ['cpu']);
  const ref = await runLocal(reference.session, batch);
  await reference.session.release();

  let cand: number[][];
  let what: string;
  if (a.providers) {
    const [provider] = parseProviders(a.providers);
    const loaded = await loadSession(modelPath(), [provider]);
    if (loaded.provider !== provider) throw new Error(`${provider} did not load (${loaded.skipped[0]?.reason ?? 'unknown reason'})`);
    cand = await runLocal(loaded.session, batch);
    await loaded.session.release();
    what = `ONNX on ${provider} vs ONNX FP32 on cpu`;
  } else {
    const backend = createBackend({ transport: 'oip', url: a.url!, model: a.model!, timeoutMs: 60_000 });
    cand = await backend.infer(batch);
    what = `${a.model} at ${a.url} vs ONNX FP32 on cpu`;
  }
  const drift = compareScores(ref, cand, POLICIES);
  const what2 = `${what}, ${items.length} demo items × 8 probe rows = ${rows} rows`;
  if (a.json) console.log(JSON.stringify({ what: what2, rows, ...drift }));
  else console.log(driftMarkdown(drift, what2));
  const [maxDiff, minAgreement] = [Number(a['max-diff']), Number(a['min-agreement'])];
  const ok = drift.maxAbsDiff <= maxDiff && drift.agreement >= minAgreement;
  if (!ok) console.error(`drift over the limits (max |Δ| ≤ ${maxDiff}, agreement ≥ ${minAgreement})`);
  return ok ? 0 : 1;
}

if (import.meta.main ?? process.argv[1]?.endsWith('drift.ts')) {
  main().then((code) => { process.exitCode = code; }, (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 2; });
}
