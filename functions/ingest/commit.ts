// Publishes a processed slice in ONE D1 batch (a transaction): the ledger row, every
// aggregate increment, the model version and the slice summary. The ledger's primary key
// makes a second commit of the same slice fail as a whole, so retries never double count.
import { jsonRows, nowIso } from '../lib/db.ts';
import { conflict } from '../lib/errors.ts';
import { abortOf, claimGuard, guardSql, lostClaim } from '../store/guards.ts';
import { KEY, versionCounterStatements, type AggregateDelta } from '../store/counters.ts';
import { discoveryStatements } from '../store/discovery-counts.ts';
import type { SliceSummary } from '../store/slices.ts';
import { isSliceCounter } from '../store/operating-counts.ts';

export class AlreadyCommitted extends Error {
  constructor() { super('slice already committed'); }
}


export function summarize(delta: AggregateDelta): SliceSummary {
  return {
    items: delta.sum('items'),
    failures: delta.sum('failures'),
    excluded: delta.sum('excluded'),
    pending: delta.sum('pending'),
    by_signature: Object.fromEntries(Object.entries(delta.totals(KEY.sig)).sort(([a], [b]) => a.localeCompare(b))),
  };
}

const SLICE_AGGREGATES_INSERT = `INSERT OR REPLACE INTO slice_aggregates (slice_pk, policy, metric, value)
  SELECT ?1, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?2) AS j`;

export async function commitSlice(
  d1: D1Database,
  slice: { pk: number; owner: string; region: string; modelId: string; modelVersion: string; modelStage: string; createdAt: string },
  delta: AggregateDelta,
  probeWork: readonly string[] = [],
  /** More statements for the same batch (the parked labels applied, deleted; submitted votes). */
  extraStatements: readonly D1PreparedStatement[] = [],
  /** A streamed slice learns its content hash only now; its commit also requires that it
   *  still holds the claim (a takeover of an unhashed claim deleted the parts it wrote). */
  contentHash?: string,
): Promise<SliceSummary & { probe_jobs: number }> {
  const now = nowIso();
  const summary = summarize(delta);
  const jobs = chunkIds(probeWork, PROBE_BATCH_ITEMS);
  const version = { region: slice.region, model_id: slice.modelId, model_version: slice.modelVersion };
  const status = jobs.length ? 'probing' : 'complete';
  const stmts: D1PreparedStatement[] = [
    d1.prepare('INSERT INTO slice_commits (slice_pk, committed_at) VALUES (?, ?)').bind(slice.pk, now),
    ...versionCounterStatements(d1, version, delta.rows()),
    ...discoveryStatements(d1, version, delta.discovery),
  ];
  for (const json of jsonRows(delta.rows().filter((r) => isSliceCounter(r.metric)).map((r) => [r.policy, r.metric, r.value]))) {
    stmts.push(d1.prepare(SLICE_AGGREGATES_INSERT).bind(slice.pk, json));
  }
  for (let i = 0; i < jobs.length; i += PROBE_JOB_ROWS) {
    const part = jobs.slice(i, i + PROBE_JOB_ROWS);
    stmts.push(d1.prepare(
      `INSERT OR REPLACE INTO probe_jobs (slice_pk, batch, item_ids, status, attempts, updated_at) VALUES ${part.map(() => "(?, ?, ?, 'queued', 0, ?)").join(',')}`,
    ).bind(...part.flatMap((ids, j) => [slice.pk, i + j, JSON.stringify(ids), now])));
  }
  stmts.push(...extraStatements);
  if (contentHash !== undefined) stmts.push(claimGuard(d1, slice.pk, slice.owner));
  stmts.push(
    d1.prepare('INSERT INTO model_versions (model_id, version, stage, first_slice_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .bind(slice.modelId, slice.modelVersion, slice.modelStage, slice.createdAt),
    // The stage check at claim time races with a concurrent first slice of the same model
    // version under another stage: check again inside this transaction (a guard: it aborts the
    // whole batch).
    d1.prepare(`${guardSql('stage = ?', 'stage-conflict')} FROM model_versions WHERE model_id = ? AND version = ?`)
      .bind(slice.modelStage, slice.modelId, slice.modelVersion),
    d1.prepare(
      `UPDATE slices SET status = ?, owner = NULL, error = NULL, items = ?, failures = ?, excluded = ?, pending = ?, by_signature = ?, updated_at = ?,
         content_hash = coalesce(?, content_hash)
       WHERE pk = ?`,
    ).bind(status, summary.items, summary.failures, summary.excluded, summary.pending, JSON.stringify(summary.by_signature), now, contentHash ?? null, slice.pk),
  );
  try {
    await d1.batch(stmts);
  } catch (e) {
    const abort = abortOf(e);
    // Someone committed this slice first (a taken-over lease finishing late): nothing was added.
    if (abort === 'already-committed') throw new AlreadyCommitted();
    if (abort === 'stage-conflict') {
      const mv = await d1.prepare('SELECT stage FROM model_versions WHERE model_id = ? AND version = ?')
        .bind(slice.modelId, slice.modelVersion).first<{ stage: string }>();
      throw conflict(`model.stage: model ${slice.modelId} version ${slice.modelVersion} is registered with stage '${mv?.stage}', not '${slice.modelStage}'`, { field: 'model.stage' });
    }
    if (abort === 'lost-claim') throw lostClaim();
    throw e;
  }
  return { ...summary, probe_jobs: jobs.length };
}

/** Items per GPU backend job: 8 rows each, so 32 items are one 256-row request. */
export const PROBE_BATCH_ITEMS = 32;
const PROBE_JOB_ROWS = 20; // 5 columns bound

function chunkIds(ids: readonly string[], size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}
