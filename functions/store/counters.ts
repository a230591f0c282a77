// The counters (aggregates, slice_aggregates, the slice summary): their names, which ones a
// diagnosed item increments, the statements that move them, and the rate rule read from them.
// Pure but for the statements: the same function adds an item at ingest and (with sign −1)
// removes its old diagnosis when a label changes.
import type { Diagnosis, EvalItem } from '../../taxonomy/types.ts';
import { jsonRows, nowIso } from '../lib/db.ts';
import { addOperatingCounts, isSliceCounter } from './operating-counts.ts';
import { bump, type Tally } from './tally.ts';
import { DiscoveryDelta, discoveryStatements } from './discovery-counts.ts';
import { histogramStatements, splitPacked } from './histograms.ts';

/** Counter names (the `metric` column) for the counts of items. */
export const COUNT = { items: 'items', failures: 'failures', excluded: 'excluded', pending: 'pending' } as const;
/** Prefixes of counter families; the rest of the name is a code, a bin or a tag. */
export const KEY = {
  /** primary signature code → failures */ sig: 'sig:',
  /** every matched signature → failures */ sec: 'sec:',
  /** score bin 0–9 → items */ score: 'score:',
  /** primary language subtag → items */ lang: 'lang:',
  /** surface → items */ surface: 'surface:',
  /** calibration table: every cal: counter */ cal: 'cal:',
  /** per score bin: items, sum of scores, violating items (labelled, not excluded) */ calN: 'cal:n:', calS: 'cal:s:', calY: 'cal:y:',
} as const;

/** An SQL condition on `column` (default `metric`) selecting the counters of a prefix: a range
 *  ('sig:' ≤ m < 'sig;', ';' follows ':'), which an index seeks, where LIKE scans. */
export const prefixRange = (prefix: string, column = 'metric') =>
  `${column} >= '${prefix}' AND ${column} < '${prefix.slice(0, -1)};'`;

/** Items the GPU backend can never score (each carries `probe_error`, the reason). Without a
 *  prediction such an item has no outcome and stays `pending` too, so it never enters a rate's n. */
export const UNPROBEABLE = 'unprobeable';
export const isUnprobeable = (item: EvalItem) => typeof item.probe_error === 'string';

/** The SQL list of the four counts, for `metric IN (…)`. */
export const COUNTS_SQL = Object.values(COUNT).map((m) => `'${m}'`).join(', ');

/** The labelled-item signature (SPEC §9): its rate is over every labelled item. */
const LABEL_SIGNATURE = 'LBL.AMBIG';

/**
 * SPEC §9's denominator: the items a rate is over — items − excluded − pending (§8's shorter
 * items − excluded predates pending items); for LBL.AMBIG, whose failures are the excluded
 * ones, items − pending.
 */
export function rateDenominator(c: { items: number; excluded: number; pending: number }, signature?: string): number {
  return signature === LABEL_SIGNATURE ? c.items - c.pending : c.items - c.excluded - c.pending;
}

/** Index of the equal-width score bin [i/10, (i+1)/10), the last bin closed (SPEC §9). */
export const scoreBin = (s: number) => Math.min(9, Math.max(0, Math.floor(s * 10)));

export function languageKey(tag: string | undefined): string {
  return tag ? tag.split('-')[0].toLowerCase() : 'und';
}

/** Counter increments as [metric, delta] pairs. */
export function itemMetrics(item: EvalItem, d: Diagnosis): Array<[string, number]> {
  const m: Array<[string, number]> = [[COUNT.items, 1], [KEY.surface + item.surface, 1], [KEY.lang + languageKey(item.language), 1]];
  const score = item.prediction?.score;
  if (typeof score === 'number') m.push([KEY.score + scoreBin(score), 1]);
  if (isUnprobeable(item)) m.push([UNPROBEABLE, 1]);
  if (d.outcome === 'pending') {
    m.push([COUNT.pending, 1]);
    return m;
  }
  m.push([d.outcome.toLowerCase(), 1]);
  if (d.failure) {
    m.push([COUNT.failures, 1]);
    if (d.excluded) m.push([COUNT.excluded, 1]);
    if (d.primary) m.push([KEY.sig + d.primary, 1]);
    for (const s of d.secondary) m.push([KEY.sec + s.code, 1]);
  }
  // Calibration table (ECE) over labelled items not excluded.
  if (!d.excluded && typeof score === 'number') {
    const b = scoreBin(score);
    m.push([KEY.calN + b, 1], [KEY.calS + b, score]);
    if (item.label?.violating) m.push([KEY.calY + b, 1]);
  }
  const op: Tally = new Map();
  addOperatingCounts(op, item, d, 1);
  for (const [k, { v }] of op) m.push([k, v]);
  return m;
}

// Metric keys, built once: the ingest loop adds ~10 counters per item, and a template
// string per counter (a new string to flatten and hash each time) cost more than the adding.
const binKeys = (prefix: string) => Array.from({ length: 10 }, (_, b) => `${prefix}${b}`);
const SCORE_KEYS = binKeys(KEY.score);
const CAL_N_KEYS = binKeys(KEY.calN);
const CAL_S_KEYS = binKeys(KEY.calS);
const CAL_Y_KEYS = binKeys(KEY.calY);
const KEY_CACHE_MAX = 4096; // per prefix: unbounded input (language tags) must not grow it forever

function keyCache(prefix: string, suffixOf: (s: string) => string = (s) => s): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let k = cache.get(s);
    if (k === undefined) {
      k = prefix + suffixOf(s);
      if (cache.size < KEY_CACHE_MAX) cache.set(s, k);
    }
    return k;
  };
}
const surfaceKey = keyCache(KEY.surface);
const langKey = keyCache(KEY.lang, languageKey);
const LANG_UND = `${KEY.lang}und`;
const outcomeKey = keyCache('', (o) => o.toLowerCase());
const sigKey = keyCache(KEY.sig);
const secKey = keyCache(KEY.sec);


/** Accumulates counter deltas per policy in memory; written once, at commit. */
export class AggregateDelta {
  readonly cells = new Map<string, Tally>();
  /** Slice discovery's cells move with the counters (store/discovery-counts.ts). */
  readonly discovery = new DiscoveryDelta();

  /** Same as add(policy, itemMetrics(item, d), sign), without building the pairs: the
   *  counters are added in the same order, so rows() comes out the same. */
  addItem(policy: string, item: EvalItem, d: Diagnosis, sign = 1): void {
    this.discovery.addItem(item, d, sign);
    let cell = this.cells.get(policy);
    if (!cell) this.cells.set(policy, (cell = new Map()));
    bump(cell, COUNT.items, sign);
    bump(cell, surfaceKey(item.surface), sign);
    bump(cell, item.language ? langKey(item.language) : LANG_UND, sign);
    const score = item.prediction?.score;
    const scored = typeof score === 'number';
    const bin = scored ? scoreBin(score) : 0;
    if (scored) bump(cell, SCORE_KEYS[bin], sign);
    if (isUnprobeable(item)) bump(cell, UNPROBEABLE, sign);
    if (d.outcome === 'pending') {
      bump(cell, COUNT.pending, sign);
      return;
    }
    bump(cell, outcomeKey(d.outcome), sign);
    if (d.failure) {
      bump(cell, COUNT.failures, sign);
      if (d.excluded) bump(cell, COUNT.excluded, sign);
      if (d.primary) bump(cell, sigKey(d.primary), sign);
      const sec = d.secondary;
      for (let i = 0; i < sec.length; i++) bump(cell, secKey(sec[i].code), sign);
    }
    if (!d.excluded && scored) {
      bump(cell, CAL_N_KEYS[bin], sign);
      bump(cell, CAL_S_KEYS[bin], sign * score);
      if (item.label?.violating) bump(cell, CAL_Y_KEYS[bin], sign);
    }
    addOperatingCounts(cell, item, d, sign);
  }

  add(policy: string, metrics: Array<[string, number]>, sign = 1): void {
    let cell = this.cells.get(policy);
    if (!cell) this.cells.set(policy, (cell = new Map()));
    for (const [k, v] of metrics) bump(cell, k, sign * v);
  }

  get(policy: string, metric: string): number {
    return this.cells.get(policy)?.get(metric)?.v ?? 0;
  }

  /** Totals over policies for one metric prefix, e.g. KEY.sig → {CODE: n}. */
  totals(prefix: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const cell of this.cells.values()) {
      for (const [k, { v }] of cell) if (k.startsWith(prefix) && v !== 0) out[k.slice(prefix.length)] = (out[k.slice(prefix.length)] ?? 0) + v;
    }
    return out;
  }

  sum(metric: string): number {
    let s = 0;
    for (const cell of this.cells.values()) s += cell.get(metric)?.v ?? 0;
    return s;
  }

  rows(): Array<{ policy: string; metric: string; value: number }> {
    const out: Array<{ policy: string; metric: string; value: number }> = [];
    for (const [policy, cell] of this.cells) for (const [metric, { v }] of cell) if (v !== 0) out.push({ policy, metric, value: v });
    return out;
  }
}

const AGGREGATES_UPSERT = `INSERT INTO aggregates (region, model_id, model_version, policy, metric, value)
  SELECT ?1, ?2, ?3, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?4) AS j WHERE true
  ON CONFLICT (region, model_id, model_version, policy, metric) DO UPDATE SET value = value + excluded.value`;
const SLICE_AGGREGATES_UPSERT = `INSERT INTO slice_aggregates (slice_pk, policy, metric, value)
  SELECT ?1, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?2) AS j WHERE true
  ON CONFLICT (slice_pk, policy, metric) DO UPDATE SET value = value + excluded.value`;
// The summary: counters by arithmetic in SQL and by_signature merged with the delta in SQL
// (never read-modify-write in JS: concurrent writers touch the same row). Zero entries are
// dropped and keys kept sorted, as at ingest.
const SLICE_SUMMARY_UPDATE = `UPDATE slices SET items = items + CAST(?1 AS INTEGER), failures = failures + CAST(?2 AS INTEGER),
    excluded = excluded + CAST(?3 AS INTEGER), pending = pending + CAST(?4 AS INTEGER), updated_at = ?5,
    by_signature = (SELECT coalesce(json_group_object(key, total), '{}') FROM
      (SELECT key, SUM(value) AS total FROM (SELECT key, value FROM json_each(slices.by_signature) UNION ALL SELECT key, value FROM json_each(?6))
       GROUP BY key HAVING total <> 0 ORDER BY key))
  WHERE pk = ?7`;

/**
 * The statements adding counter rows to a region × version: `aggregates`, and the histogram
 * families packed (store/histograms.ts). One statement per ~1 MB of rows (json_each), not one
 * per few bound rows: a batch costs per statement too.
 */
export function versionCounterStatements(
  d1: D1Database, key: { region: string; model_id: string; model_version: string }, rows: ReturnType<AggregateDelta['rows']>,
): D1PreparedStatement[] {
  const { plain, packed } = splitPacked(rows);
  return [
    ...jsonRows(plain.map((r) => [r.policy, r.metric, r.value])).map((json) => d1.prepare(AGGREGATES_UPSERT).bind(key.region, key.model_id, key.model_version, json)),
    ...histogramStatements(d1, key, packed),
  ];
}

/** aggregates, slice_aggregates and the slices row's summary, moved by `delta`. */
export function countersStatements(
  d1: D1Database, slice: { pk: number; region: string; model_id: string; model_version: string }, delta: AggregateDelta,
): D1PreparedStatement[] {
  // Discovery cells move even when no counter does (a label's source or evidence changed).
  const out: D1PreparedStatement[] = discoveryStatements(d1, slice, delta.discovery);
  const rows = delta.rows();
  if (rows.length === 0) return out;
  out.push(...versionCounterStatements(d1, slice, rows));
  for (const json of jsonRows(rows.filter((r) => isSliceCounter(r.metric)).map((r) => [r.policy, r.metric, r.value]))) {
    out.push(d1.prepare(SLICE_AGGREGATES_UPSERT).bind(slice.pk, json));
  }
  out.push(d1.prepare(SLICE_SUMMARY_UPDATE).bind(delta.sum(COUNT.items), delta.sum(COUNT.failures), delta.sum(COUNT.excluded), delta.sum(COUNT.pending),
    nowIso(), JSON.stringify(delta.totals(KEY.sig)), slice.pk));
  return out;
}
