// Bindings and per-request variables of the Worker (Hono's typed context).
import type { ItemPartition } from './store/partition/item-partition.ts';

export interface Bindings {
  DB: D1Database;
  SLICES: R2Bucket;
  INGEST_QUEUE: Queue<QueueMessage>;
  /** Notifications (SPEC §13): events computed after slice commits, and webhook deliveries. */
  NOTIFY_QUEUE: Queue<NotifyQueueMessage>;
  /** Item partition syncs, batched (store/partition/messages.ts). */
  PARTITION_QUEUE: Queue<PartitionSyncMessage>;
  /** The item partitions: a SQLite Durable Object per region × model version (store/partition). */
  ITEM_PARTITIONS: DurableObjectNamespace<ItemPartition>;
  ADMIN_TOKEN: string;
  /** Seconds a committed slice's partition sync waits in the queue (store/partition/messages.ts). */
  PARTITION_SYNC_DELAY_SECONDS?: string;
  /** Key material for secrets at rest (vendor HMAC secrets, AES-GCM via HKDF). Optional: without
   *  it the key is derived from ADMIN_TOKEN (see functions/lib/secrets.ts). */
  SECRETS_KEY?: string;
  ASYNC_INGEST_BYTES?: string;
  MAX_SLICE_BYTES?: string;
  /** NDJSON bodies of known length up to this many bytes are ingested while they stream,
   *  within the request (201); larger ones or of unknown length go through R2 and the queue. */
  STREAM_INGEST_BYTES?: string;
  /** Seconds a streamed submission may go without renewing its claim before the slice_id can
   *  be taken over (default 60). */
  STREAM_LEASE_SECONDS?: string;
  /** R2 multipart part size for large slices (default 8 MiB, at least R2's 5 MiB). */
  R2_PART_BYTES?: string;
  INFERENCE_TRANSPORT?: string;
  INFERENCE_URL?: string;
  INFERENCE_MODEL?: string;
  INFERENCE_TIMEOUT_MS?: string;
  INFERENCE_TOKEN?: string;
  /** In-call retries of one backend request (the queue retries jobs on top). */
  INFERENCE_RETRIES?: string;
  /** Label events a vendor may have parked (for slices or items not stored yet) at once; past
   *  it a delivery that would park more is refused with 429 (default 100000). */
  MAX_PARKED_PER_VENDOR?: string;
  /** Base delay of GPU backend job retries (doubling per attempt). */
  PROBE_RETRY_SECONDS?: string;
  /** Base of the links in notification payloads (the pages' origin). */
  PUBLIC_URL?: string;
  /** Webhook deliveries: per-attempt timeout (default 10000), backoff base and cap of one delay
   *  (defaults 30 and 3600 s), retry window (default 86400 s) and attempts at most (default 100). */
  NOTIFY_TIMEOUT_MS?: string;
  NOTIFY_RETRY_BASE_SECONDS?: string;
  NOTIFY_RETRY_CAP_SECONDS?: string;
  NOTIFY_RETRY_WINDOW_SECONDS?: string;
  NOTIFY_MAX_ATTEMPTS?: string;
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

/** Work for the GPU backend: one job of a slice (see probe_jobs). */
export interface ProbeMessage {
  kind: 'probe';
  slicePk: number;
  batch: number;
}

/** Sync a committed slice's items (all, or `itemIds` and their live neighbours) into its item
 *  partition from D1's current state (store/partition/sync.ts). */
export interface PartitionSyncMessage {
  kind: 'partition-sync';
  region: string;
  sliceId: string;
  itemIds?: string[];
}

export type QueueMessage = IngestMessage | ProbeMessage | PartitionSyncMessage;

/** A slice was committed (`commit`) or its last GPU backend job finished (`complete`): compute
 *  its notification events. */
export interface NotifyMessage {
  kind: 'notify';
  region: string;
  sliceId: string;
  trigger: 'commit' | 'complete';
  /** When it happened (ISO): the events' time, and only subscriptions older than it get them. */
  at: string;
}

/** One webhook delivery (notify_deliveries) to attempt. */
export interface DeliverMessage {
  kind: 'deliver';
  subscriptionId: string;
  eventId: string;
}

export type NotifyQueueMessage = NotifyMessage | DeliverMessage;

/** Queue message: a large slice whose validated body waits in R2. */
export interface IngestMessage {
  kind: 'ingest';
  slicePk: number;
  owner: string;
  r2Key: string;
}
