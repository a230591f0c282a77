// Where the Triton-layout model repository lives, and its batching settings. Node-only
// (paths), no dependencies: the server and its container need nothing else from model/.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_NAME, MODEL_VERSION } from '../interface.ts';

/** gpu-backend/model_repository (Triton layout: <model>/config.pbtxt, <model>/<version>/model.onnx). */
export const DEFAULT_REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'model_repository');

/** Largest batch (rows) config.pbtxt advertises; the local server's default INFERENCE_MAX_BATCH. */
export const MAX_BATCH_SIZE = 256;
/** Triton's dynamic batching window (µs) in config.pbtxt; the local server defaults to 2 ms too. */
export const MAX_QUEUE_DELAY_US = 2000;

export function modelPath(repository = DEFAULT_REPOSITORY): string {
  return join(repository, MODEL_NAME, MODEL_VERSION, 'model.onnx');
}

export function configPath(repository = DEFAULT_REPOSITORY): string {
  return join(repository, MODEL_NAME, 'config.pbtxt');
}

/** One policy code per line, in score-column order (Triton's label_filename for `scores`). */
export function labelsPath(repository = DEFAULT_REPOSITORY): string {
  return join(repository, MODEL_NAME, 'labels.txt');
}
