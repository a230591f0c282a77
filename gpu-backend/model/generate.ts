// Writes the reference model into the Triton-layout model repository:
//   gpu-backend/model_repository/avlm/1/model.onnx   (the weights of spec.ts, byte-for-byte reproducible)
//   gpu-backend/model_repository/avlm/config.pbtxt   (NVIDIA Triton config)
//   gpu-backend/model_repository/avlm/labels.txt     (the policy of each score column, POLICY_CODES order)
//   gpu-backend/model_repository/avlm_ort_trt/…      (the same ONNX on ONNX Runtime's TensorRT accelerator, FP16)
//   gpu-backend/model_repository/avlm_trt/…          (config + labels of the TensorRT plan; the plan itself is
//                                                      built on the GPU host by model/build-plan.sh)
//
// Usage (Node 22):
//   node --experimental-strip-types gpu-backend/model/generate.ts           # write both files
//   node --experimental-strip-types gpu-backend/model/generate.ts --check   # exit 1 if they are stale
//   node --experimental-strip-types gpu-backend/model/generate.ts --out DIR # write into another repository dir
//   node --experimental-strip-types gpu-backend/model/generate.ts --hidden 1024 --layers 2 --out .bench/model_repository
//       the compute-bound variant (trunk.ts: same interface and scores, L dense ReLU layers of
//       width H per modality; ~25 MB at 1024 × 2, so never into the committed repository)

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, labelsFile, tritonConfig, TRITON_VARIANTS, type TritonVariant } from './onnx.ts';
import { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';
import { weights, type ModelWeights } from './spec.ts';
import { buildTrunk, type TrunkSpec } from './trunk.ts';

export { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';

/** The files of the model repository, as bytes (nothing written). `trunk`: the compute-bound variant. */
export function renderRepository(w: ModelWeights = weights(), trunk?: TrunkSpec): { model: Uint8Array; config: string; labels: string } {
  const t = trunk ? buildTrunk(trunk, w) : undefined;
  return { model: buildModel(w, t), config: tritonConfig(w, undefined, undefined, trunk), labels: labelsFile(w) };
}

/**
 * Every generated file of the repository, by path relative to it: each Triton variant's
 * config.pbtxt and labels.txt, and model.onnx where the variant serves the ONNX graph (the
 * plan is built on the GPU host, see build-plan.sh).
 */
export function repositoryFiles(w: ModelWeights = weights(), trunk?: TrunkSpec): Map<string, Uint8Array | string> {
  const { model, labels } = renderRepository(w, trunk);
  const files = new Map<string, Uint8Array | string>();
  for (const variant of Object.keys(TRITON_VARIANTS) as TritonVariant[]) {
    const v = TRITON_VARIANTS[variant];
    if (v.file === 'model.onnx') files.set(join(v.name, '1', 'model.onnx'), model);
    files.set(join(v.name, 'config.pbtxt'), tritonConfig(w, undefined, undefined, trunk, variant));
    files.set(join(v.name, 'labels.txt'), labels);
  }
  return files;
}

/** Writes the model repository; returns the paths and the model's size in bytes. */
export function generate(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights(), trunk?: TrunkSpec) {
  const files = repositoryFiles(w, trunk);
  for (const [rel, content] of files) {
    const path = join(repository, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return { modelPath: modelPath(repository), configPath: configPath(repository), bytes: readFileSync(modelPath(repository)).byteLength, files: [...files.keys()] };
}

/** Names of the repository files that differ from what the generator would write now. */
export function staleFiles(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights(), trunk?: TrunkSpec): string[] {
  const stale: string[] = [];
  for (const [rel, content] of repositoryFiles(w, trunk)) {
    const path = join(repository, rel);
    if (!existsSync(path) || !readFileSync(path).equals(Buffer.from(content))) stale.push(path);
  }
  return stale;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const repository = outIdx >= 0 ? resolve(args[outIdx + 1]) : DEFAULT_REPOSITORY;
  const num = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const hidden = num('hidden');
  const layers = num('layers');
  const trunk = hidden !== undefined || layers !== undefined ? { hidden: hidden ?? 1024, layers: layers ?? 2 } : undefined;
  if (trunk && outIdx < 0) {
    // The committed repository holds the small model (tested byte-for-byte); the variant goes elsewhere.
    console.error('--hidden/--layers write the compute-bound variant: give --out DIR (e.g. .bench/model_repository)');
    process.exit(2);
  }
  if (args.includes('--check')) {
    const stale = staleFiles(repository, undefined, trunk);
    if (stale.length) {
      console.error(`stale model repository files (run gpu-backend/model/generate.ts):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`model repository up to date: ${repository}`);
  } else {
    const r = generate(repository, undefined, trunk);
    console.log(`wrote ${r.modelPath} (${r.bytes} bytes${trunk ? `, compute-bound variant: ${trunk.layers} × ${trunk.hidden}` : ''}) and ${r.files.length - 1} more files: ${r.files.join(', ')}`);
  }
}
