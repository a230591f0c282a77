// D1 schema (Drizzle). Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) and applied by `wrangler d1 migrations apply`.
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, real, primaryKey, uniqueIndex, index } from 'drizzle-orm/sqlite-core';

/** Markets, ISO 3166-1 alpha-2, seeded from the countries-list package. */
export const regions = sqliteTable('regions', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  /** JSON array of ISO 639-1 codes. */
  languages: text('languages').notNull(),
});

/** Moderation policies; `position` is the column of the model's score output. */
export const policies = sqliteTable('policies', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  severity: real('severity').notNull(),
  threshold: real('threshold').notNull(),
  position: integer('position').notNull(),
});

/** Seeded taxonomy catalogue: one row per signature (family codes) and per intervention. */
export const signatures = sqliteTable('signatures', {
  code: text('code').primaryKey(),
  level: text('level').notNull(),
  description: text('description').notNull(),
  rule: text('rule').notNull(),
  taxonomyVersion: text('taxonomy_version').notNull(),
});

export const interventions = sqliteTable('interventions', {
  code: text('code').primaryKey(),
  lever: text('lever').notNull(),
  stage: text('stage'),
  cost: text('cost').notNull(),
  description: text('description').notNull(),
});

/** Default signature → intervention mapping of the taxonomy version. */
export const signatureInterventions = sqliteTable('signature_interventions', {
  signature: text('signature').notNull(),
  intervention: text('intervention').notNull(),
  weight: real('weight').notNull(),
  rationale: text('rationale').notNull(),
}, (t) => [primaryKey({ columns: [t.signature, t.intervention] })]);

/** A region's override of one signature family's mapping (JSON [{code, weight}]). */
export const interventionOverrides = sqliteTable('intervention_overrides', {
  region: text('region').notNull(),
  signature: text('signature').notNull(),
  mapping: text('mapping').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [primaryKey({ columns: [t.region, t.signature] })]);

export const interventionAudit = sqliteTable('intervention_audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  region: text('region').notNull(),
  signature: text('signature').notNull(),
  action: text('action').notNull(),
  actor: text('actor').notNull(),
  at: text('at').notNull(),
  oldMapping: text('old_mapping'),
  newMapping: text('new_mapping'),
}, (t) => [index('intervention_audit_region').on(t.region, t.id)]);

/** Region API keys: only the SHA-256 of the key is stored. */
export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  hash: text('hash').notNull(),
  /** JSON array of region codes, or ["*"]. */
  regions: text('regions').notNull(),
  /** JSON array of scopes: submit, read. */
  scopes: text('scopes').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
  /** Issue 17: the admin's free-text note (who or what the key is for); null when none. */
  note: text('note'),
}, (t) => [uniqueIndex('api_keys_hash').on(t.hash)]);

/** Model versions; the first slice fixes the stage and the predecessor order. */
export const modelVersions = sqliteTable('model_versions', {
  modelId: text('model_id').notNull(),
  version: text('version').notNull(),
  stage: text('stage').notNull(),
  firstSliceAt: text('first_slice_at').notNull(),
}, (t) => [primaryKey({ columns: [t.modelId, t.version] })]);

/** One submitted eval slice. The summary columns are set when it completes. */
export const slices = sqliteTable('slices', {
  pk: integer('pk').primaryKey({ autoIncrement: true }),
  region: text('region').notNull(),
  sliceId: text('slice_id').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  modelStage: text('model_stage').notNull(),
  /** SHA-256 of the raw body bytes: the same id with any other body → 409. */
  contentHash: text('content_hash'),
  /** processing | probing | complete | failed */
  status: text('status').notNull(),
  /** Lease holder while processing: a stale lease can be taken over. */
  owner: text('owner'),
  error: text('error'),
  /** Hash buckets of the item store (fixed per slice). */
  buckets: integer('buckets').notNull(),
  items: integer('items').notNull().default(0),
  failures: integer('failures').notNull().default(0),
  excluded: integer('excluded').notNull().default(0),
  pending: integer('pending').notNull().default(0),
  /** JSON {CODE: n} of primary signatures. */
  bySignature: text('by_signature').notNull().default('{}'),
  r2Key: text('r2_key'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [
  uniqueIndex('slices_region_slice').on(t.region, t.sliceId),
  index('slices_model').on(t.modelId, t.modelVersion),
]);

/** Commit ledger: inserting the row is the first statement of the commit batch, so a
 *  second commit of the same slice fails as a whole — aggregates are never added twice. */
export const sliceCommits = sqliteTable('slice_commits', {
  slicePk: integer('slice_pk').primaryKey(),
  committedAt: text('committed_at').notNull(),
});

/** The item store: items packed by hash bucket (of item_id) into parts, as a JSON array
 *  text. One row holds many items — one D1 row per item is too slow for bulk ingest. */
export const itemChunks = sqliteTable('item_chunks', {
  slicePk: integer('slice_pk').notNull(),
  bucket: integer('bucket').notNull(),
  part: integer('part').notNull(),
  n: integer('n').notNull(),
  data: text('data').notNull(),
  /** Bumped by every rewrite (label changes, probes): optimistic concurrency. */
  rev: integer('rev').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.slicePk, t.bucket, t.part] })]);

/** Item overlay: the current record of an item whose label changed after ingest (vendor label
 *  events, functions/labels), one small row per item instead of a rewrite of its 16 KB part.
 *  Where a row exists it shadows the item's record in item_chunks; every reader of items merges
 *  it (functions/labels/store.ts). `data` is a StoredItem as JSON; `rev` starts at 1 and is
 *  bumped by every rewrite (optimistic concurrency, like item_chunks.rev). */
export const itemOverlays = sqliteTable('item_overlays', {
  slicePk: integer('slice_pk').notNull(),
  bucket: integer('bucket').notNull(),
  itemId: text('item_id').notNull(),
  rev: integer('rev').notNull(),
  data: text('data').notNull(),
}, (t) => [primaryKey({ columns: [t.slicePk, t.bucket, t.itemId] })]);

/** Counters per region × model version × policy, kept current at ingest; the scorecard
 *  reads only these. `metric` is e.g. items, failures, fp, sig:PER.MISS.audio, bin:n:3. */
export const aggregates = sqliteTable('aggregates', {
  region: text('region').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  policy: text('policy').notNull(),
  metric: text('metric').notNull(),
  value: real('value').notNull(),
}, (t) => [
  primaryKey({ columns: [t.region, t.modelId, t.modelVersion, t.policy, t.metric] }),
  // Cross-region reads (REG.DISPARITY, lifecycle, heatmap) by model version and metric.
  index('aggregates_model_metric').on(t.modelId, t.modelVersion, t.metric, t.region, t.policy, t.value),
  // One region's scorecard: a covering seek (the primary key's index lacks `value`, so without
  // this the planner prefers the index above and reads every region of the version).
  index('aggregates_region_cell').on(t.region, t.modelId, t.modelVersion, t.policy, t.metric, t.value),
]);

/** The same counters per slice (for distribution shift against a region's previous slice). */
export const sliceAggregates = sqliteTable('slice_aggregates', {
  slicePk: integer('slice_pk').notNull(),
  policy: text('policy').notNull(),
  metric: text('metric').notNull(),
  value: real('value').notNull(),
}, (t) => [
  primaryKey({ columns: [t.slicePk, t.policy, t.metric] }),
  // Session 7: a slice's counters by metric prefix across policies (the scorecard's DIST.SHIFT
  // read seeks score:, lang:, surface: instead of testing every counter of two slices); covering.
  index('slice_aggregates_metric').on(t.slicePk, t.metric, t.policy, t.value),
]);

/** Labelling vendors (SPEC §6). HMAC secrets are kept encrypted (AES-GCM under SECRETS_KEY)
 *  because verifying needs them; a static token is kept as its SHA-256 only. During a
 *  rotation the previous secret stays valid until `previous_expires_at`. */
export const vendors = sqliteTable('vendors', {
  vendor: text('vendor').primaryKey(),
  /** standard-webhooks | hmac-sha256-hex | static-token */
  scheme: text('scheme').notNull(),
  /** Header carrying the signature/token (hmac-sha256-hex, static-token). */
  signatureHeader: text('signature_header'),
  /** Header carrying the delivery id for the non-standard schemes (else SHA-256 of the body). */
  idHeader: text('id_header'),
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousExpiresAt: text('previous_expires_at'),
  createdAt: text('created_at').notNull(),
  rotatedAt: text('rotated_at'),
});

/** Deliveries applied, for idempotency on the delivery id. */
export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  vendor: text('vendor').notNull(),
  deliveryId: text('delivery_id').notNull(),
  receivedAt: text('received_at').notNull(),
  events: integer('events').notNull(),
  applied: integer('applied').notNull(),
  parked: integer('parked').notNull(),
}, (t) => [primaryKey({ columns: [t.vendor, t.deliveryId] })]);

/** Every vote on an item, across deliveries and vendors (label consensus, annotator quality). */
/** Votes that came inside submitted items (`label.votes`), packed per slice at its commit: JSON
 *  arrays of [item_id, annotator, 0|1], ≤ ~1 MB per row (one row per vote would cost the ingest
 *  four index inserts per vote). Consensus reads them beside `votes`, where a vendor's vote of
 *  the same annotator on the same item wins. */
export const submittedVotes = sqliteTable('submitted_votes', {
  slicePk: integer('slice_pk').notNull(),
  seq: integer('seq').notNull(),
  region: text('region').notNull(),
  sliceId: text('slice_id').notNull(),
  data: text('data').notNull(),
}, (t) => [primaryKey({ columns: [t.slicePk, t.seq] })]);

/** One vote per (item, annotator), the latest. Consensus reads the whole table in rowid order;
 *  nothing looks votes up by annotator or vendor, so no index beyond the key: each one was two
 *  more random pages written per vote by every webhook delivery. */
export const votes = sqliteTable('votes', {
  region: text('region').notNull(),
  sliceId: text('slice_id').notNull(),
  itemId: text('item_id').notNull(),
  annotator: text('annotator').notNull(),
  vendor: text('vendor').notNull(),
  violating: integer('violating', { mode: 'boolean' }).notNull(),
  labelledAt: text('labelled_at').notNull(),
  deliveryId: text('delivery_id').notNull(),
}, (t) => [
  primaryKey({ columns: [t.region, t.sliceId, t.itemId, t.annotator] }),
]);

/** Label events for items not (yet) stored: applied when the item arrives, never dropped. */
export const pendingLabels = sqliteTable('pending_labels', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  region: text('region').notNull(),
  sliceId: text('slice_id').notNull(),
  itemId: text('item_id').notNull(),
  vendor: text('vendor').notNull(),
  deliveryId: text('delivery_id').notNull(),
  event: text('event').notNull(),
  receivedAt: text('received_at').notNull(),
}, (t) => [
  index('pending_labels_slice').on(t.region, t.sliceId),
  // Counts a vendor's parked events for its cap (apply.ts PENDING_INSERT).
  index('pending_labels_vendor').on(t.vendor),
]);

/** Interventions the model team applied (closing the loop, SPEC §5). */
export const interventionRecords = sqliteTable('intervention_records', {
  id: text('id').primaryKey(),
  intervention: text('intervention').notNull(),
  modelId: text('model_id').notNull(),
  version: text('version').notNull(),
  /** JSON {signatures:[..], regions:[..] or ["*"], policies?:[..]} */
  targets: text('targets').notNull(),
  note: text('note'),
  appliedAt: text('applied_at').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: text('created_at').notNull(),
}, (t) => [index('intervention_records_version').on(t.modelId, t.version)]);

/** Deleted intervention records, kept whole: who deleted which record when (admin-readable). */
export const interventionRecordAudit = sqliteTable('intervention_record_audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  recordId: text('record_id').notNull(),
  action: text('action').notNull(),
  actor: text('actor').notNull(),
  at: text('at').notNull(),
  /** JSON of the record as it was (InterventionRecord). */
  record: text('record').notNull(),
});

/** GPU backend work that failed repeatedly (dead letters), for an admin to list and replay. */
export const deadLetters = sqliteTable('dead_letters', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  queue: text('queue').notNull(),
  body: text('body').notNull(),
  error: text('error').notNull(),
  attempts: integer('attempts').notNull(),
  createdAt: text('created_at').notNull(),
  replayedAt: text('replayed_at'),
});

/** GPU backend work of a slice: predictions for items without one and the seven probes for
 *  UNPROBED failures, in small batches. The slice is `probing` until every job is done. */
export const probeJobs = sqliteTable('probe_jobs', {
  slicePk: integer('slice_pk').notNull(),
  batch: integer('batch').notNull(),
  /** JSON array of item ids. */
  itemIds: text('item_ids').notNull(),
  /** queued | done | dead */
  status: text('status').notNull(),
  attempts: integer('attempts').notNull().default(0),
  error: text('error'),
  updatedAt: text('updated_at').notNull(),
}, (t) => [primaryKey({ columns: [t.slicePk, t.batch] }), index('probe_jobs_status').on(t.status, t.updatedAt)]);

// ── issue 15: slice discovery ────────────────────────────────────────────────────────────
/** SPEC §11's additive counts per region × model version × policy (the partition: `policy` and
 *  `region` become features by pooling partitions, so no cell names them). One row per cell and
 *  code: `code = ''` holds the cell's items, any other code its failures with that primary — so
 *  `signature=` is answered from the same rows. `slice_key` is counts.ts `sliceKey` ('[]' for the
 *  partition's population); `f1`/`f2` its features ('' when absent), for the attribute caps. */
export const discoveryCounts = sqliteTable('discovery_counts', {
  region: text('region').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  policy: text('policy').notNull(),
  f1: text('f1').notNull(),
  f2: text('f2').notNull(),
  sliceKey: text('slice_key').notNull(),
  code: text('code').notNull(),
  n: integer('n').notNull(),
}, (t) => [
  primaryKey({ columns: [t.region, t.modelId, t.modelVersion, t.f1, t.policy, t.sliceKey, t.code] }),
  // The population and one-predicate rows (f2 = ''), and the rows of a dropped second feature.
  index('discovery_counts_f2').on(t.region, t.modelId, t.modelVersion, t.f2),
  // Issue 15: the global route's read of every region's population and one-predicate rows
  // (f2 = '', ~7 % of the rows) from the index alone, in (slice_key, code) order.
  index('discovery_counts_ones').on(t.region, t.modelId, t.modelVersion, t.sliceKey, t.code, t.policy, t.n, t.f2).where(sql`${t.f2} = ''`),
]);

/** Attribute keys a region × model version stopped counting (SPEC §11's 64 values / 32 keys),
 *  named in every response; their rows are deleted once (`purged`). */
export const discoveryIgnored = sqliteTable('discovery_ignored', {
  region: text('region').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  feature: text('feature').notNull(),
  reason: text('reason').notNull(),
  purged: integer('purged').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.region, t.modelId, t.modelVersion, t.feature] })]);
// Issue 18 (notifications, SPEC §13): webhook subscriptions, the events computed after slice
// commits, one delivery per (subscription, event) and every attempt of it.

/** A receiver of events. `secret` is sealed (lib/secrets.ts) under `subscription:<id>`. */
export const subscriptions = sqliteTable('subscriptions', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** JSON array of region codes, or ["*"]. */
  regions: text('regions').notNull(),
  /** JSON array of event types. */
  events: text('events').notNull(),
  secret: text('secret').notNull(),
  createdAt: text('created_at').notNull(),
});

/** Events, once each: the id is derived from what caused it, so a queue retry adds none. */
export const notifyEvents = sqliteTable('notify_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  region: text('region').notNull(),
  /** The queue message that computed it (`<slice pk>:<trigger>`): a retry fans out its events again. */
  source: text('source').notNull(),
  /** JSON: the event's data. */
  payload: text('payload').notNull(),
  createdAt: text('created_at').notNull(),
}, (t) => [index('notify_events_source').on(t.source)]);

/** One event to one subscription. `webhook_id` is stable across its attempts (receivers dedupe on it). */
export const notifyDeliveries = sqliteTable('notify_deliveries', {
  subscriptionId: text('subscription_id').notNull(),
  eventId: text('event_id').notNull(),
  webhookId: text('webhook_id').notNull(),
  /** pending | delivered | dead */
  status: text('status').notNull(),
  attempts: integer('attempts').notNull().default(0),
  /** Start of the retry window (the first attempt, or the replay). */
  firstAttemptAt: text('first_attempt_at'),
  deliveredAt: text('delivered_at'),
  createdAt: text('created_at').notNull(),
}, (t) => [primaryKey({ columns: [t.subscriptionId, t.eventId] })]);

/** Every attempt to deliver (GET /v1/admin/subscriptions/{id}/deliveries). */
export const notifyAttempts = sqliteTable('notify_attempts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  subscriptionId: text('subscription_id').notNull(),
  eventId: text('event_id').notNull(),
  webhookId: text('webhook_id').notNull(),
  at: text('at').notNull(),
  /** The receiver's HTTP status; null when no answer came (refused, timeout). */
  httpStatus: integer('http_status'),
  error: text('error'),
  durationMs: integer('duration_ms').notNull(),
}, (t) => [index('notify_attempts_subscription').on(t.subscriptionId, t.id)]);

/** Slice-level cells (VER.REGRESSION, REG.DISPARITY) present at the last check of a region ×
 *  version: a cell not in here is new and announced once; a cell that vanished is removed. */
export const notifyCells = sqliteTable('notify_cells', {
  region: text('region').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  code: text('code').notNull(),
  policy: text('policy').notNull(),
  /** VER.REGRESSION: the regressed signature; '' for REG.DISPARITY. */
  signature: text('signature').notNull(),
  announcedAt: text('announced_at').notNull(),
}, (t) => [primaryKey({ columns: [t.region, t.modelId, t.modelVersion, t.code, t.policy, t.signature] })]);
// Issue 14 (item partitions, stage 1): the watermark of each slice's copy in its item
// partition (a Durable Object per region × model version, functions/store/partition/).
/** A slice synced whole into its partition: `version` is the slice's item version read before
 *  the sync (sum of its parts' and overlays' revs, which every edit raises); a slice without a
 *  row, or whose version has moved past it, is synced again (the migration and the cron). */
export const partitionSync = sqliteTable('partition_sync', {
  region: text('region').notNull(),
  sliceId: text('slice_id').notNull(),
  slicePk: integer('slice_pk').notNull(),
  syncedAt: text('synced_at').notNull(),
  items: integer('items').notNull(),
  version: integer('version').notNull(),
  // Issue 14 (D1 as the write buffer): how often D1's copy of the slice's items was evicted
  // (a sync that read before one leaves the watermark alone), and when last.
  evictions: integer('evictions').notNull().default(0),
  evictedAt: text('evicted_at'),
}, (t) => [primaryKey({ columns: [t.region, t.sliceId] })]);
// Issues 14/16 (ingest cost): histograms packed per row instead of one counter per value.
/** Per region × model version × policy, the counters of a histogram family kept as one JSON
 *  object per bucket (value → count; store/histograms.ts): the score histograms by label
 *  (`op:v`, `op:b`: one row each, 101 bins) and the live delays (`ttd`: one row per second,
 *  exact millisecond values inside). `n` is the sum of `counts`, so a reader finds the bucket
 *  of a rank without reading the values. */
export const histograms = sqliteTable('histograms', {
  region: text('region').notNull(),
  modelId: text('model_id').notNull(),
  modelVersion: text('model_version').notNull(),
  policy: text('policy').notNull(),
  family: text('family').notNull(),
  bucket: integer('bucket').notNull(),
  n: integer('n').notNull(),
  counts: text('counts').notNull(),
}, (t) => [
  primaryKey({ columns: [t.region, t.modelId, t.modelVersion, t.policy, t.family, t.bucket] }),
  // The lifecycle pools a model's delays over regions and versions.
  index('histograms_model').on(t.modelId, t.family, t.bucket, t.modelVersion, t.region),
]);
