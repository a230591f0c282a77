// Bindings and per-request variables of the Worker (Hono's typed context).
export interface Bindings {
  DB: D1Database;
  SLICES: R2Bucket;
  INGEST_QUEUE: Queue<IngestMessage>;
  ADMIN_TOKEN: string;
  ASYNC_INGEST_BYTES?: string;
  MAX_SLICE_BYTES?: string;
  INFERENCE_TRANSPORT?: string;
  INFERENCE_URL?: string;
  INFERENCE_MODEL?: string;
  INFERENCE_TIMEOUT_MS?: string;
  INFERENCE_TOKEN?: string;
}

export type Principal =
  | { kind: 'admin'; id: 'admin' }
  | { kind: 'key'; id: string; regions: string[]; scopes: Scope[] };

export type Scope = 'submit' | 'read' | 'intervene';
export const SCOPES: readonly Scope[] = ['submit', 'read', 'intervene'];

export interface AppEnv {
  Bindings: Bindings;
  Variables: { principal: Principal };
}

/** Queue message: a large slice whose validated body waits in R2. */
export interface IngestMessage {
  kind: 'ingest';
  slicePk: number;
  owner: string;
  r2Key: string;
}
