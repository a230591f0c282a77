// Writes the reference model into the Triton-layout model repository:
//   gpu-backend/model_repository/avlm/1/model.onnx   (the weights of spec.ts, byte-for-byte reproducible)
//   gpu-backend/model_repository/avlm/config.pbtxt   (NVIDIA Triton config)
//   gpu-backend/model_repository/avlm/labels.txt     (the policy of each score column, POLICY_CODES order)
//
// Usage (Node 22):
//   node --experimental-strip-types gpu-backend/model/generate.ts           # write both files
//   node --experimental-strip-types gpu-backend/model/generate.ts --check   # exit 1 if they are stale
//   node --experimental-strip-types gpu-backend/model/generate.ts --out DIR # write into another repository dir
//   node --experimental-strip-types gpu-backend/model/generate.ts --hidden 1024 --layers 2 --out .bench/model_repository
//       the compute-bound variant (trunk.ts: same interface and scores, L dense ReLU layers of
//       width H per modality; ~25 MB at 1024 × 2, so never into the committed repository)

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, labelsFile, tritonConfig } from './onnx.ts';
import { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';
import { weights, type ModelWeights } from './spec.ts';
import { buildTrunk, type TrunkSpec } from './trunk.ts';

export { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';

/** The files of the model repository, as bytes (nothing written). `trunk`: the compute-bound variant. */
export function renderRepository(w: ModelWeights = weights(), trunk?: TrunkSpec): { model: Uint8Array; config: string; labels: string } {
  const t = trunk ? buildTrunk(trunk, w) : undefined;
  return { model: buildModel(w, t), config: tritonConfig(w, undefined, undefined, trunk), labels: labelsFile(w) };
}

/** Writes the model repository; returns the paths and the model's size in bytes. */
export function generate(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights(), trunk?: TrunkSpec) {
  const { model, config, labels } = renderRepository(w, trunk);
  const mp = modelPath(repository);
  const cp = configPath(repository);
  mkdirSync(dirname(mp), { recursive: true });
  writeFileSync(mp, model);
  writeFileSync(cp, config);
  writeFileSync(labelsPath(repository), labels);
  return { modelPath: mp, configPath: cp, bytes: model.byteLength };
}

/** Names of the repository files that differ from what the generator would write now. */
export function staleFiles(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights(), trunk?: TrunkSpec): string[] {
  const { model, config, labels } = renderRepository(w, trunk);
  const stale: string[] = [];
  const mp = modelPath(repository);
  if (!existsSync(mp) || !Buffer.from(model).equals(readFileSync(mp))) stale.push(mp);
  for (const [path, text] of [[configPath(repository), config], [labelsPath(repository), labels]]) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(path);
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
    console.log(`wrote ${r.modelPath} (${r.bytes} bytes${trunk ? `, compute-bound variant: ${trunk.layers} × ${trunk.hidden}` : ''}), ${r.configPath} and labels.txt`);
  }
}
