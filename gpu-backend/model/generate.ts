// Writes the reference model into the Triton-layout model repository:
//   gpu-backend/model_repository/avlm/1/model.onnx   (the weights of spec.ts, byte-for-byte reproducible)
//   gpu-backend/model_repository/avlm/config.pbtxt   (NVIDIA Triton config)
//   gpu-backend/model_repository/avlm/labels.txt     (the policy of each score column, POLICY_CODES order)
//
// Usage (Node 22):
//   node --experimental-strip-types gpu-backend/model/generate.ts           # write both files
//   node --experimental-strip-types gpu-backend/model/generate.ts --check   # exit 1 if they are stale
//   node --experimental-strip-types gpu-backend/model/generate.ts --out DIR # write into another repository dir

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, labelsFile, tritonConfig } from './onnx.ts';
import { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';
import { weights, type ModelWeights } from './spec.ts';

export { configPath, DEFAULT_REPOSITORY, labelsPath, modelPath } from './repository.ts';

/** The files of the model repository, as bytes (nothing written). */
export function renderRepository(w: ModelWeights = weights()): { model: Uint8Array; config: string; labels: string } {
  return { model: buildModel(w), config: tritonConfig(w), labels: labelsFile(w) };
}

/** Writes the model repository; returns the paths and the model's size in bytes. */
export function generate(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights()) {
  const { model, config, labels } = renderRepository(w);
  const mp = modelPath(repository);
  const cp = configPath(repository);
  mkdirSync(dirname(mp), { recursive: true });
  writeFileSync(mp, model);
  writeFileSync(cp, config);
  writeFileSync(labelsPath(repository), labels);
  return { modelPath: mp, configPath: cp, bytes: model.byteLength };
}

/** Names of the repository files that differ from what the generator would write now. */
export function staleFiles(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights()): string[] {
  const { model, config, labels } = renderRepository(w);
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
  if (args.includes('--check')) {
    const stale = staleFiles(repository);
    if (stale.length) {
      console.error(`stale model repository files (run gpu-backend/model/generate.ts):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`model repository up to date: ${repository}`);
  } else {
    const r = generate(repository);
    console.log(`wrote ${r.modelPath} (${r.bytes} bytes), ${r.configPath} and labels.txt`);
  }
}
