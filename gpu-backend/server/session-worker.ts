// The model thread of the local server (executor.ts, `INFERENCE_EXECUTOR=worker`): loads the
// session (with the same provider fallback as inline) and runs one batch per message.
//
//   parent → {type: 'run', id, rows, inputs}   → {type: 'result', id, outputs} | {type: 'error', id, message}
//   parent → {type: 'release'}                 → releases the session and exits
//   on start                                   → {type: 'loaded', provider, …} | {type: 'load-error', message}

import { parentPort, workerData } from 'node:worker_threads';
import { inputWidths, metaOf, runSession, type LoadedMessage } from './executor.ts';
import { loadSession, type TrtSettings } from './session.ts';

const port = parentPort!;
const { modelPath, providers, threads, trt } = workerData as { modelPath: string; providers: string[]; threads?: number; trt?: TrtSettings };

try {
  const loaded = await loadSession(modelPath, providers, threads, trt);
  const inputs = metaOf(loaded.session.inputMetadata);
  const widths = inputWidths(inputs);
  port.on('message', async (m: { type: 'run'; id: number; rows: number; inputs: Record<string, Float32Array> } | { type: 'release' }) => {
    if (m.type === 'release') {
      await loaded.session.release();
      port.close();
      return;
    }
    try {
      const outputs = await runSession(loaded.session, widths, m.inputs, m.rows);
      // Copied by structured clone (rows × P floats: small); ORT's output buffers are native
      // allocations that are not guaranteed to be transferable.
      port.postMessage({ type: 'result', id: m.id, outputs });
    } catch (err) {
      port.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
  const msg: LoadedMessage = { type: 'loaded', provider: loaded.provider, skipped: loaded.skipped, fallbackReason: loaded.fallbackReason, inputs, outputs: metaOf(loaded.session.outputMetadata) };
  port.postMessage(msg);
} catch (err) {
  port.postMessage({ type: 'load-error', message: err instanceof Error ? err.message : String(err) });
}
