// Writes the reference model into the Triton-layout model repository:
//   gpu-backend/model_repository/avlm/1/model.onnx   (the weights of spec.ts, byte-for-byte reproducible)
//   gpu-backend/model_repository/avlm/config.pbtxt   (NVIDIA Triton config)
//
// Usage (Node 22):
//   node --experimental-strip-types gpu-backend/model/generate.ts           # write both files
//   node --experimental-strip-types gpu-backend/model/generate.ts --check   # exit 1 if they are stale
//   node --experimental-strip-types gpu-backend/model/generate.ts --out DIR # write into another repository dir

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, tritonConfig } from './onnx.ts';
import { MODEL_NAME, MODEL_VERSION, weights, type ModelWeights } from './spec.ts';

export const DEFAULT_REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'model_repository');

export function modelPath(repository = DEFAULT_REPOSITORY): string {
  return join(repository, MODEL_NAME, MODEL_VERSION, 'model.onnx');
}

export function configPath(repository = DEFAULT_REPOSITORY): string {
  return join(repository, MODEL_NAME, 'config.pbtxt');
}

/** The files of the model repository, as bytes (nothing written). */
export function renderRepository(w: ModelWeights = weights()): { model: Uint8Array; config: string } {
  return { model: buildModel(w), config: tritonConfig(w) };
}

/** Writes the model repository; returns the paths and the model's size in bytes. */
export function generate(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights()) {
  const { model, config } = renderRepository(w);
  const mp = modelPath(repository);
  const cp = configPath(repository);
  mkdirSync(dirname(mp), { recursive: true });
  writeFileSync(mp, model);
  writeFileSync(cp, config);
  return { modelPath: mp, configPath: cp, bytes: model.byteLength };
}

/** Names of the repository files that differ from what the generator would write now. */
export function staleFiles(repository = DEFAULT_REPOSITORY, w: ModelWeights = weights()): string[] {
  const { model, config } = renderRepository(w);
  const stale: string[] = [];
  const mp = modelPath(repository);
  const cp = configPath(repository);
  if (!existsSync(mp) || !Buffer.from(model).equals(readFileSync(mp))) stale.push(mp);
  if (!existsSync(cp) || readFileSync(cp, 'utf8') !== config) stale.push(cp);
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
    console.log(`wrote ${r.modelPath} (${r.bytes} bytes) and ${r.configPath}`);
  }
}
