// Shared test helpers: the Open Inference Protocol OpenAPI validator and tiny fake servers.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import YAML from 'yaml';
import { DIMS } from '../../gpu-backend/interface.ts';
import type { InferenceBatch } from '../../gpu-backend/client/types.ts';
import { mulberry32, type ModelInputs } from '../../gpu-backend/model/spec.ts';

/** The published OIP REST definition, read from ../shared (present in CI, maybe not in a clone). */
export const OIP_SPEC_PATH = process.env.OIP_SPEC_PATH || fileURLToPath(new URL('../../../shared/specs/open_inference_rest.yaml', import.meta.url));

export interface OipValidator {
  /** Validates a request against the operation for (method, path); returns error messages. */
  request(method: string, path: string, body?: unknown): string[];
  /** Validates a response body against the operation's schema for that status. */
  response(method: string, path: string, status: number, body: unknown): string[];
}

/**
 * openapi-backend over the OIP definition. The published file writes path templates as
 * `${MODEL_NAME}` and the server metadata path as `/v2/`: both are normalised here. It lists
 * only versioned model routes; an unversioned path (`/v2/models/avlm/infer`) is checked
 * against its versioned twin, as the protocol says the version is optional.
 */
export async function loadOipValidator(): Promise<OipValidator | undefined> {
  if (!existsSync(OIP_SPEC_PATH)) return undefined;
  const doc = YAML.parse(readFileSync(OIP_SPEC_PATH, 'utf8'));
  const paths: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.paths as Record<string, unknown>)) {
    paths[k.replace(/\$\{(\w+)\}/g, '{$1}').replace(/(.)\/$/, '$1')] = v;
  }
  doc.paths = paths;
  const api = new OpenAPIBackend({ definition: doc, validate: true, quick: false, strict: true });
  await api.init();
  const operation = (method: string, path: string): Operation => {
    const versioned = path.replace(/^(\/v2\/models\/[^/]+)(?!\/versions\/)(\/ready|\/infer)?$/, '$1/versions/1$2');
    const op = api.matchOperation({ method: method.toLowerCase(), path: versioned, headers: {} });
    if (!op) throw new Error(`the OIP definition has no operation for ${method} ${path}`);
    return op;
  };
  const messages = (errors: { instancePath?: string; message?: string }[] | null | undefined) =>
    (errors ?? []).map((e) => `${e.instancePath ?? ''} ${e.message ?? ''}`.trim());
  return {
    request(method, path, body) {
      const op = operation(method, path);
      const versioned = path.replace(/^(\/v2\/models\/[^/]+)(?!\/versions\/)(\/ready|\/infer)?$/, '$1/versions/1$2');
      const r = api.validateRequest({ method: method.toLowerCase(), path: versioned, headers: { 'content-type': 'application/json' }, body: body as never }, op);
      return r.valid ? [] : messages(r.errors);
    },
    response(method, path, status, body) {
      const op = operation(method, path);
      // The definition declares error bodies for 400 only; 404/405 bodies use the same schema.
      const code = status >= 400 ? 400 : status;
      const r = api.validateResponse(body, op, code);
      return r.valid ? [] : messages(r.errors);
    },
  };
}

export interface FakeServer {
  url: string;
  /** Requests received so far (method, url, headers, body text). */
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A node:http server whose answers come from `handler` (which may never answer). */
export async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body, requests.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A random batch of n rows (deterministic per seed) in both the client and the reference shape. */
export function randomBatch(n: number, seed: number): InferenceBatch & ModelInputs {
  const rand = mulberry32(seed);
  const rows = (d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => Math.fround((rand() * 2 - 1) * 1.5)));
  return {
    audio: rows(DIMS.audio),
    visual: rows(DIMS.visual),
    text: rows(DIMS.text),
    modality_mask: Array.from({ length: n }, () => [0, 1, 2].map(() => (rand() < 0.7 ? 1 : 0))),
    policy_context: Array.from({ length: n }, () => [rand() < 0.5 ? 1 : 0]),
  };
}

/** The OIP JSON request for a batch (flat data). */
export function oipRequest(batch: InferenceBatch, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const n = batch.audio.length;
  return {
    ...extra,
    inputs: (['audio', 'visual', 'text', 'modality_mask', 'policy_context'] as const).map((name) => ({
      name, datatype: 'FP32', shape: [n, batch[name][0].length], data: batch[name].flat(),
    })),
  };
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  expectSameShape(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  return m;
}

function expectSameShape(a: number[][], b: number[][]): void {
  if (a.length !== b.length || a.some((r, i) => r.length !== b[i].length)) {
    throw new Error(`shape mismatch: ${a.length}x${a[0]?.length} vs ${b.length}x${b[0]?.length}`);
  }
}

/** Un-flattens row-major data into rows of `width`. */
export function rowsOf(data: number[], width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += width) out.push(data.slice(i, i + width));
  return out;
}
