// The histogram families of the operating counters (store/operating-counts.ts), packed: per
// region × model version × policy, one row per bucket holding the bucket's values as a JSON
// object (value → count) and their sum `n` (db/schema.ts `histograms`). In memory they stay
// ordinary counters of AggregateDelta (`op:v:<bin>`, `op:b:<bin>`, `ttd:<ms>`); only where
// they are written and read differs. Why: one `aggregates` row per bin and per distinct
// millisecond delay was ~10,000 rows per 100k-item slice (three indexes each) — most of the
// commit's time, and of the scorecard's read.
import { delayBucket, delayBucketsNeeded, OPERATING, timeToDetectBucketed, type ScoreHistograms, type TimeToDetect } from '../../taxonomy/operating/index.ts';
import { jsonRows } from '../lib/db.ts';
import { OP_KEY } from './operating-counts.ts';

type Cells = Map<string, Map<string, number>>;
interface CounterRow { policy: string; metric: string; value: number }
interface VersionKey { region: string; model_id: string; model_version: string }

/** The families: score histograms by label (one bucket, 101 bins) and live delays (a bucket per second). */
export const FAMILY = { violating: 'op:v', benign: 'op:b', delay: 'ttd' } as const;
const PACKED: Array<[prefix: string, family: string, bucketOf: (key: string) => number]> = [
  [OP_KEY.violating, FAMILY.violating, () => 0],
  [OP_KEY.benign, FAMILY.benign, () => 0],
  [OP_KEY.delay, FAMILY.delay, (ms) => delayBucket(Number(ms))],
];

/** The counters kept in `aggregates`, and the rest as packed rows [policy, family, bucket, n, {value: count}]. */
export function splitPacked(rows: readonly CounterRow[]): { plain: CounterRow[]; packed: unknown[][] } {
  const plain: CounterRow[] = [];
  const buckets = new Map<string, { policy: string; family: string; bucket: number; n: number; counts: Record<string, number> }>();
  for (const r of rows) {
    const hit = PACKED.find(([prefix]) => r.metric.startsWith(prefix));
    if (!hit) { plain.push(r); continue; }
    const [prefix, family, bucketOf] = hit;
    const key = r.metric.slice(prefix.length);
    const bucket = bucketOf(key);
    const id = `${r.policy}\u0000${family}\u0000${bucket}`;
    let b = buckets.get(id);
    if (!b) buckets.set(id, (b = { policy: r.policy, family, bucket, n: 0, counts: {} }));
    b.n += r.value;
    b.counts[key] = (b.counts[key] ?? 0) + r.value;
  }
  return { plain, packed: [...buckets.values()].map((b) => [b.policy, b.family, b.bucket, b.n, b.counts]) };
}

// Counts merged in SQL (never read-modify-write in JS: concurrent writers touch the same row);
// values whose count reaches 0 are dropped. Only the delta's keys are touched: a merge patch
// (RFC 7396, json_patch) of their new sums, null for a sum of 0 (which removes the key). A label
// edit moves one or two keys of a 101-key score histogram, a group of deliveries a few dozen;
// regrouping the whole object per write cost 5–7× more (node:sqlite, 1–32 keys: ~70 µs against
// 11–52 µs per statement; the same object, its keys maybe in another order, which no reader uses:
// keys are integers, JSON.parse orders them, SQL readers sum by key).
const UPSERT = `INSERT INTO histograms (region, model_id, model_version, policy, family, bucket, n, counts)
  SELECT ?1, ?2, ?3, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(?4) AS j WHERE true
  ON CONFLICT (region, model_id, model_version, policy, family, bucket) DO UPDATE SET n = n + excluded.n,
    counts = json_patch(histograms.counts, (SELECT json_group_object(d.key, nullif(coalesce(histograms.counts ->> ('$."' || d.key || '"'), 0) + d.value, 0))
      FROM json_each(excluded.counts) AS d))`;

/** The statements that add the packed rows (from splitPacked) to a region × version. */
export function histogramStatements(d1: D1Database, key: VersionKey, packed: readonly unknown[][]): D1PreparedStatement[] {
  return jsonRows(packed).map((json) => d1.prepare(UPSERT).bind(key.region, key.model_id, key.model_version, json));
}

// ── Reading ──────────────────────────────────────────────────────────────────────────────

/** Delay bucket counts per policy, and the values of the buckets read (policy → bucket → [ms, count]). */
export interface DelayBuckets {
  coarse: Map<string, Map<number, number>>;
  fine: Map<string, Map<number, Array<[number, number]>>>;
}

/** One region × version: the score histograms whole (a row per policy and label), the delays as
 *  bucket counts only, packed per policy in SQL ({bucket: n}: one row, not one per second —
 *  D1 hands each row over as its own object, services/aggregates.ts packedCellsSql). */
export const histogramsStatement = (d1: D1Database, region: string, modelId: string, version: string) => d1.prepare(
  `SELECT policy, family, counts FROM histograms WHERE region = ?1 AND model_id = ?2 AND model_version = ?3 AND family <> '${FAMILY.delay}' AND n <> 0
   UNION ALL
   SELECT policy, '${FAMILY.delay}', json_group_object(bucket, n) FROM histograms
   WHERE region = ?1 AND model_id = ?2 AND model_version = ?3 AND family = '${FAMILY.delay}' AND n <> 0 GROUP BY policy`,
).bind(region, modelId, version);

// The score histograms read with a cell, by the cell: as arrays, not as 202 counters per policy
// in the cell's map (every scan of a cell's counters would walk them, and each would be a string
// key built here and parsed back by the reader).
const scoreOf = new WeakMap<Map<string, number>, ScoreHistograms>();

/** The score histograms addHistograms read for this cell (undefined: none were read for it). */
export const scoreHistogramsOf = (cell: Map<string, number>): ScoreHistograms | undefined => scoreOf.get(cell);

/** Adds the rows of histogramsStatement to `cells`: the score histograms (scoreHistogramsOf its
 *  policy's cell); returns the delay bucket counts. */
export function addHistograms(cells: Cells, rows: readonly Record<string, unknown>[]): DelayBuckets {
  const coarse = new Map<string, Map<number, number>>();
  for (const r of rows as Array<{ policy: string; family: string; counts: string }>) {
    const counts = JSON.parse(r.counts) as Record<string, number>;
    if (r.family === FAMILY.delay) {
      const c = new Map<number, number>();
      for (const bucket in counts) c.set(Number(bucket), counts[bucket]);
      coarse.set(r.policy, c);
      continue;
    }
    let cell = cells.get(r.policy);
    if (!cell) cells.set(r.policy, (cell = new Map()));
    let h = scoreOf.get(cell) as { violating: number[]; benign: number[] } | undefined;
    if (!h) scoreOf.set(cell, (h = { violating: new Array(101).fill(0), benign: new Array(101).fill(0) }));
    const bins = r.family === FAMILY.violating ? h.violating : h.benign;
    for (const bin in counts) bins[Number(bin)] = counts[bin];
  }
  return { coarse, fine: new Map() };
}

// ⌈x⌉ for x > 0 without SQLite's math functions (D1 may lack them).
const ceilSql = (x: string) => `(CAST(${x} AS INTEGER) + ((${x}) > CAST(${x} AS INTEGER)))`;
const RANK_OF = (p: number) => `max(1, ${ceilSql(`${p} * total - 1e-9`)})`;

/**
 * The values of the delay buckets time to detect needs, chosen in SQL so the scorecard reads
 * them in its one batch: per policy, the buckets holding the ⌈p·n⌉-th delay for p = 0.5, 0.9,
 * 0.99 (running sums over the bucket counts), and the bucket of the timely bound — the buckets
 * delayBucketsNeeded names (timeToDetectBucketed refuses to answer if one is missing).
 */
export const delayValuesStatement = (d1: D1Database, region: string, modelId: string, version: string) => d1.prepare(
  `WITH b AS (SELECT policy, bucket, n, SUM(n) OVER (PARTITION BY policy ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cum, SUM(n) OVER (PARTITION BY policy) AS total
     FROM histograms WHERE region = ?1 AND model_id = ?2 AND model_version = ?3 AND family = '${FAMILY.delay}' AND n > 0)
   SELECT h.policy, h.bucket, h.counts FROM b JOIN histograms h ON h.region = ?1 AND h.model_id = ?2 AND h.model_version = ?3
     AND h.policy = b.policy AND h.family = '${FAMILY.delay}' AND h.bucket = b.bucket
   WHERE b.bucket = ?4 OR ${[0.5, 0.9, 0.99].map((p) => `${RANK_OF(p)} BETWEEN b.cum - b.n + 1 AND b.cum`).join(' OR ')}`,
).bind(region, modelId, version, delayBucket(OPERATING.timelyMs));

/** Adds the rows of delayValuesStatement to `d`. */
export function addDelayValues(d: DelayBuckets, rows: readonly Record<string, unknown>[]): void {
  for (const r of rows as Array<{ policy: string; bucket: number; counts: string }>) {
    let f = d.fine.get(r.policy);
    if (!f) d.fine.set(r.policy, (f = new Map()));
    f.set(r.bucket, Object.entries(JSON.parse(r.counts) as Record<string, number>).map(([ms, n]) => [Number(ms), n]));
  }
}

/** Time to detect of one policy from what was read (null: no live TP). */
export const policyTimeToDetect = (d: DelayBuckets, policy: string): TimeToDetect | null =>
  timeToDetectBucketed(d.coarse.get(policy) ?? [], d.fine.get(policy) ?? new Map());

/**
 * A model's delays pooled per group of versions (the lifecycle's stages), over every region or
 * one: bucket counts first, then the values of only the buckets each group's answer needs,
 * summed in SQL. Two reads, whatever the number of regions and versions.
 */
export async function pooledTimeToDetect(
  d1: D1Database, modelId: string, region: string | undefined, groups: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, TimeToDetect | null>> {
  const { results: counts } = await d1.prepare(
    `SELECT model_version, bucket, SUM(n) AS n FROM histograms WHERE model_id = ?1 AND family = '${FAMILY.delay}' AND (?2 IS NULL OR region = ?2)
     GROUP BY model_version, bucket`,
  ).bind(modelId, region ?? null).all<{ model_version: string; bucket: number; n: number }>();
  const coarseOf = (versions: readonly string[]) => {
    const c = new Map<number, number>();
    for (const r of counts) if (versions.includes(r.model_version)) c.set(r.bucket, (c.get(r.bucket) ?? 0) + r.n);
    return c;
  };
  const needed = new Set([...groups.values()].flatMap((vs) => delayBucketsNeeded(coarseOf(vs))));
  const { results: values } = needed.size ? await d1.prepare(
    `SELECT h.model_version, h.bucket, j.key AS ms, SUM(j.value) AS n FROM histograms h, json_each(h.counts) AS j
     WHERE h.model_id = ?1 AND h.family = '${FAMILY.delay}' AND h.bucket IN (SELECT value FROM json_each(?2)) AND (?3 IS NULL OR h.region = ?3)
     GROUP BY h.model_version, h.bucket, j.key`,
  ).bind(modelId, JSON.stringify([...needed]), region ?? null).all<{ model_version: string; bucket: number; ms: string; n: number }>()
    : { results: [] };
  const out = new Map<string, TimeToDetect | null>();
  for (const [group, versions] of groups) {
    const fine = new Map<number, Array<[number, number]>>();
    for (const r of values) {
      if (!versions.includes(r.model_version)) continue;
      if (!fine.has(r.bucket)) fine.set(r.bucket, []);
      fine.get(r.bucket)!.push([Number(r.ms), r.n]);
    }
    out.set(group, timeToDetectBucketed(coarseOf(versions), fine));
  }
  return out;
}
