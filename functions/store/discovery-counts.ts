// Slice discovery's additive counts in D1 (SPEC §11, design note of issue 15): per region ×
// model version × policy, every population / one- / two-predicate cell's items and failures by
// primary. Moved in the same D1 batch as the counters (AggregateDelta carries a DiscoveryDelta),
// so ingest, label edits, consensus and GPU backend results move them exactly like aggregates —
// a retried commit is refused as a whole by the ledger, so retries never double count.
import type { Diagnosis, EvalItem } from '../../taxonomy/types.ts';
import {
  ATTR_PREFIX, DISCOVERY, FEATURES, cellAt, emptyCounts, featuresOf, pooledCounts, predicatesOf, sliceKey,
  type DiscoveryCounts, type IgnoredFeature,
} from '../../taxonomy/discovery/index.ts';
import { jsonRows } from '../lib/db.ts';

/** The partition feature: kept as a column, pooled back as a feature when read. */
const PARTITION = 'policy';
/** The `region` of the rows summed over every region of a version (never a region code). */
export const ALL_REGIONS = '*';
const POPULATION_KEY = '[]';
/** A failure without a primary still counts as an error; '' is the item-count code. */
const NO_PRIMARY = 'UNEXPLAINED';

/** The fixed features but the partition, by name: a conjunction's order (see sliceKey). A sort
 *  per item cost a quarter of the tally; attribute features ('attr.<key>', in key order from
 *  featuresOf) all sort before these names, so ids come out ordered without one. */
const FIXED_NAMES = FEATURES.map((f) => f.name).filter((n) => n !== PARTITION).sort();
const FIXED_RANK = new Map(FIXED_NAMES.map((n, i) => [n, i]));
const ATTRS_FIRST = FIXED_NAMES.every((n) => ATTR_PREFIX < n);

/** Cells by interned predicate id: `one[a]`, and `two[a][b]` for a pair, a before b by name.
 *  Arrays by id (ids are small and dense: a slice has tens to a few thousand predicates): an
 *  element load per cell instead of a Map lookup (k(k−1)/2 + k of them per item). */
interface Part { population: Cell; one: Cell[]; two: Cell[][] }

/**
 * One slice's (or one edit's) discovery cells per policy, in memory until the batch. The same
 * cells as the core's `tally` (the recount tests compare them), keyed by interned predicate
 * ids: ingest adds k(k−1)/2 cells per item, and building a JSON key string per cell cost more
 * than the diagnosis.
 */
export class DiscoveryDelta {
  private readonly parts = new Map<string, Part>();
  /** feature → value → id (two lookups of existing strings: no key string built per item). */
  private readonly ids = new Map<string, Map<string, number>>();
  private readonly preds: Array<[string, string]> = [];
  /** One item's fixed-feature ids by FIXED_RANK (−1: none), reused from item to item. */
  private readonly fixedIds: number[] = FIXED_NAMES.map(() => -1);

  /** Primary codes interned: a cell's errors are an array by code id (no string-keyed property per bump). */
  private readonly codeIds = new Map<string, number>();
  private readonly codes: string[] = [];

  private codeId(code: string): number {
    let i = this.codeIds.get(code);
    if (i === undefined) { i = this.codes.length; this.codeIds.set(code, i); this.codes.push(code); }
    return i;
  }

  private id(f: string, v: string): number {
    let byValue = this.ids.get(f);
    if (!byValue) this.ids.set(f, (byValue = new Map()));
    let i = byValue.get(v);
    if (i === undefined) { i = this.preds.length; byValue.set(v, i); this.preds.push([f, v]); }
    return i;
  }

  /** The population is SPEC §11's: items with an outcome, LBL.AMBIG failures (excluded) left out. */
  addItem(item: EvalItem, d: Diagnosis, sign: number): void {
    if (d.outcome === 'pending' || d.excluded || (sign !== 1 && sign !== -1)) return;
    let part = this.parts.get(item.policy);
    if (!part) this.parts.set(item.policy, (part = { population: newCell(), one: [], two: [] }));
    const primary = d.failure ? this.codeId(d.primary ?? NO_PRIMARY) : -1;
    // Ids by feature name, as sliceKey orders a conjunction: attributes (in key order from
    // featuresOf), then the fixed features' ids from their slots.
    const ids: number[] = [];
    const fixed = this.fixedIds;
    for (const [f, v] of featuresOf(item)) {
      if (f === PARTITION) continue;
      const r = FIXED_RANK.get(f);
      if (r === undefined) ids.push(this.id(f, v));
      else fixed[r] = this.id(f, v);
    }
    for (let r = 0; r < fixed.length; r++) if (fixed[r] >= 0) { ids.push(fixed[r]); fixed[r] = -1; }
    if (!ATTRS_FIRST) ids.sort((a, b) => (this.preds[a][0] < this.preds[b][0] ? -1 : 1));
    bump(part.population, primary, sign);
    const { one, two } = part;
    for (let i = 0; i < ids.length; i++) {
      const a = ids[i];
      bump(one[a] ?? (one[a] = newCell()), primary, sign);
      const row = two[a] ?? (two[a] = []);
      for (let j = i + 1; j < ids.length; j++) {
        const b = ids[j];
        bump(row[b] ?? (row[b] = newCell()), primary, sign);
      }
    }
  }

  /** [policy, slice_key, f1, f2, code, n] for every non-zero count. */
  rows(): unknown[][] {
    const out: unknown[][] = [];
    const push = (policy: string, key: string, f1: string, f2: string, cell: Cell) => {
      if (cell.n !== 0) out.push([policy, key, f1, f2, '', cell.n]);
      cell.errors.forEach((v, code) => { if (v) out.push([policy, key, f1, f2, this.codes[code], v]); });
    };
    for (const [policy, part] of this.parts) {
      push(policy, POPULATION_KEY, '', '', part.population);
      // forEach skips the holes (ids that never met this policy, or this a).
      part.one.forEach((cell, a) => push(policy, sliceKey([this.preds[a]]), this.preds[a][0], '', cell));
      part.two.forEach((row, a) => row.forEach((cell, b) => push(policy, sliceKey([this.preds[a], this.preds[b]]), this.preds[a][0], this.preds[b][0], cell)));
    }
    return out;
  }
}

/** errors[code id] (see DiscoveryDelta.codeId); holes for codes the cell never saw. */
interface Cell { n: number; errors: number[] }
const newCell = (): Cell => ({ n: 0, errors: [] });

/** `primary`: the error's code id, −1 for an item that is no error. */
function bump(cell: Cell, primary: number, sign: number): void {
  cell.n += sign;
  if (primary >= 0) cell.errors[primary] = (cell.errors[primary] ?? 0) + sign;
}

const WHERE_VERSION = 'region = ?1 AND model_id = ?2 AND model_version = ?3';
const ATTR_ROWS = `f2 = '' AND f1 >= '${ATTR_PREFIX}' AND f1 < '${ATTR_PREFIX.slice(0, -1)}/' AND code = '' AND n > 0`;
const UPSERT_HEAD = `INSERT INTO discovery_counts (region, model_id, model_version, policy, slice_key, f1, f2, code, n)
  SELECT ?1, ?2, ?3, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5 FROM json_each(?4) AS j`;
const UPSERT_TAIL = 'ON CONFLICT (region, model_id, model_version, f1, policy, slice_key, code) DO UPDATE SET n = n + excluded.n';
// Rows of an attribute key the region × version stopped counting are never written again.
const UPSERT_ATTRS = `${UPSERT_HEAD}
  WHERE NOT EXISTS (SELECT 1 FROM discovery_ignored g WHERE g.${WHERE_VERSION.replaceAll(' AND ', ' AND g.')} AND g.feature IN (j.value ->> 2, j.value ->> 3))
  ${UPSERT_TAIL}`;
// Only attribute keys are ever ignored (the caps below): rows of built-in features (all of a
// slice without attributes) skip that lookup per row. (`WHERE true`: SQLite's upsert-after-SELECT
// parsing ambiguity.)
const UPSERT_BUILTIN = `${UPSERT_HEAD} WHERE true ${UPSERT_TAIL}`;
// SPEC §11's limits, kept at write time so a region × version holds a bounded number of rows:
// a key past 64 distinct values, then keys past the 32 seen on most items, stop being counted.
// Inside the batch (a transaction), so concurrent commits cannot both slip past a cap.
const IGNORE_VALUES = `INSERT OR IGNORE INTO discovery_ignored (region, model_id, model_version, feature, reason)
  SELECT ?1, ?2, ?3, f1, 'more than ${DISCOVERY.maxAttrValues} distinct values' FROM discovery_counts
  WHERE ${WHERE_VERSION} AND ${ATTR_ROWS} GROUP BY f1 HAVING count(DISTINCT slice_key) > ${DISCOVERY.maxAttrValues}`;
const IGNORE_KEYS = `INSERT OR IGNORE INTO discovery_ignored (region, model_id, model_version, feature, reason)
  SELECT ?1, ?2, ?3, f1, 'beyond the ${DISCOVERY.maxAttrKeys} attribute keys seen on most items' FROM (
    SELECT f1, row_number() OVER (ORDER BY sum(n) DESC, f1) AS r FROM discovery_counts
    WHERE ${WHERE_VERSION} AND ${ATTR_ROWS} AND f1 NOT IN (SELECT feature FROM discovery_ignored WHERE ${WHERE_VERSION})
    GROUP BY f1) WHERE r > ${DISCOVERY.maxAttrKeys}`;
// Deletes a newly ignored key's rows once (index seeks on f1 and on f2), then marks it purged.
const PURGE = `DELETE FROM discovery_counts WHERE rowid IN (
  SELECT c.rowid FROM discovery_ignored g CROSS JOIN discovery_counts c ON c.region = g.region AND c.model_id = g.model_id AND c.model_version = g.model_version AND c.f1 = g.feature
    WHERE g.${WHERE_VERSION.replaceAll(' AND ', ' AND g.')} AND g.purged = 0
  UNION ALL
  SELECT c.rowid FROM discovery_ignored g CROSS JOIN discovery_counts c ON c.region = g.region AND c.model_id = g.model_id AND c.model_version = g.model_version AND c.f2 = g.feature
    WHERE g.${WHERE_VERSION.replaceAll(' AND ', ' AND g.')} AND g.purged = 0)`;
const MARK_PURGED = `UPDATE discovery_ignored SET purged = 1 WHERE ${WHERE_VERSION} AND purged = 0`;

const cmp = (a: unknown, b: unknown) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);
/** The primary key's order after the version (f1, policy, slice_key, code): SQLite then walks
 *  the index pages in order instead of jumping between them. */
const byStoredKey = (a: unknown[], b: unknown[]) => cmp(a[2], b[2]) || cmp(a[0], b[0]) || cmp(a[1], b[1]) || cmp(a[4], b[4]);
const isAttr = (f: string) => f.startsWith(ATTR_PREFIX);

/** The statements that move the stored cells by `delta` (for the counters' batch). */
export function discoveryStatements(
  d1: D1Database, key: { region: string; model_id: string; model_version: string }, delta: DiscoveryDelta,
): D1PreparedStatement[] {
  const rows = delta.rows();
  if (rows.length === 0) return [];
  rows.sort(byStoredKey);
  const attrRows: unknown[][] = [], builtinRows: unknown[][] = [];
  for (const r of rows) (isAttr(r[2] as string) || isAttr(r[3] as string) ? attrRows : builtinRows).push(r);
  // The JSON is built once and bound for both regions.
  const writes = [...jsonRows(builtinRows).map((json) => [UPSERT_BUILTIN, json]), ...jsonRows(attrRows).map((json) => [UPSERT_ATTRS, json])];
  const out: D1PreparedStatement[] = [];
  // The region's rows, and the same moves summed over every region (ALL_REGIONS): the global
  // route then reads one version's cells once instead of once per region.
  for (const region of [key.region, ALL_REGIONS]) {
    const k = [region, key.model_id, key.model_version] as const;
    for (const [sql, json] of writes) out.push(d1.prepare(sql).bind(...k, json));
    if (attrRows.length) out.push(...[IGNORE_VALUES, IGNORE_KEYS, PURGE, MARK_PURGED].map((sql) => d1.prepare(sql).bind(...k)));
  }
  return out;
}

// ── Reading ──────────────────────────────────────────────────────────────────────────────

export interface StoredDiscovery {
  /** Counts per partition; `predicates` name it (policy, and region on the global read). */
  parts: Array<{ predicates: Array<[string, string]>; counts: DiscoveryCounts }>;
  ignored: IgnoredFeature[];
}

interface CountRow { region: string; policy: string; slice_key: string; f1: string; f2: string; code: string; n: number }

function addRow(counts: DiscoveryCounts, r: CountRow): void {
  const cell = r.slice_key === POPULATION_KEY ? counts.population : cellAt(counts, r.slice_key);
  if (r.code === '') cell.n += r.n;
  else cell.errors[r.code] = (cell.errors[r.code] ?? 0) + r.n;
}

function assemble(rows: CountRow[], ignoredRows: IgnoredFeature[], partOf: (r: CountRow) => Array<[string, string]>): StoredDiscovery {
  // A row of an ignored key written by a commit racing the one that ignored it: never read.
  const ignored = new Map(ignoredRows.map((g) => [g.feature, g]));
  const usable = (r: CountRow) => !ignored.has(r.f1) && !ignored.has(r.f2);
  const parts = new Map<string, StoredDiscovery['parts'][number]>();
  for (const r of rows) {
    if (!usable(r)) continue;
    const predicates = partOf(r);
    const id = JSON.stringify(predicates);
    let p = parts.get(id);
    if (!p) parts.set(id, (p = { predicates, counts: emptyCounts() }));
    addRow(p.counts, r);
  }
  return { parts: [...parts.values()], ignored: [...ignored.values()].sort((a, b) => (a.feature < b.feature ? -1 : 1)) };
}

/** One region × model version, every policy (or one). */
export async function readRegionDiscovery(d1: D1Database, region: string, modelId: string, version: string, policy?: string): Promise<StoredDiscovery> {
  const [counts, ignored] = await d1.batch([
    d1.prepare(`SELECT policy, slice_key, f1, f2, code, n FROM discovery_counts WHERE ${WHERE_VERSION} AND n <> 0 AND (?4 IS NULL OR policy = ?4)`)
      .bind(region, modelId, version, policy ?? null),
    d1.prepare(`SELECT feature, reason FROM discovery_ignored WHERE ${WHERE_VERSION}`).bind(region, modelId, version),
  ]);
  return assemble(counts.results as unknown as CountRow[], ignored.results as unknown as IgnoredFeature[],
    (r) => (policy === undefined ? [[PARTITION, r.policy]] : []));
}

// The regions of a version (aggregates_model_metric seeks them), within the key's list (?3, JSON)
// when it has one; then each region's rows by primary-key seeks.
const VERSION_REGIONS = `WITH r(region) AS (SELECT DISTINCT region FROM aggregates WHERE model_id = ?1 AND model_version = ?2 AND metric = 'items'
  AND (?3 IS NULL OR region IN (SELECT value FROM json_each(?3))))`;

// Each region's populations per policy, and its one-predicate cells summed over policies: both
// from the partial index discovery_counts_ones alone (bind: model, version, regions JSON or null).
export const GLOBAL_POPULATIONS = `${VERSION_REGIONS} SELECT c.region, c.policy, c.code, c.n FROM r CROSS JOIN discovery_counts c
  ON c.region = r.region AND c.model_id = ?1 AND c.model_version = ?2 AND c.f2 = '' AND c.slice_key = '${POPULATION_KEY}' WHERE c.n <> 0`;
export const GLOBAL_ONE_PREDICATE = `${VERSION_REGIONS} SELECT c.region, c.slice_key, c.code, sum(c.n) AS n FROM r CROSS JOIN discovery_counts c
  ON c.region = r.region AND c.model_id = ?1 AND c.model_version = ?2 AND c.f2 = '' AND c.slice_key <> '${POPULATION_KEY}'
  GROUP BY c.region, c.slice_key, c.code HAVING sum(c.n) <> 0`;

/**
 * A model version over the regions `regions` (null: every region): every cell summed over
 * those regions per policy — read from the ALL_REGIONS rows when all regions are asked for,
 * else summed in SQL — and the cells that name a region, built from each region's populations
 * (per policy: the `policy ∧ region` cells) and one-predicate cells summed over policies in SQL
 * (a third of the rows a per-policy read returns). A key ignored in any region is ignored for
 * all: its counts from the others would be a partial sum.
 */
export async function readGlobalDiscovery(d1: D1Database, modelId: string, version: string, regions: string[] | null): Promise<StoredDiscovery> {
  const scope = regions === null ? null : JSON.stringify(regions);
  const totals = regions === null
    ? d1.prepare(`SELECT policy, slice_key, f1, f2, code, n FROM discovery_counts WHERE region = ?3 AND model_id = ?1 AND model_version = ?2 AND n <> 0`)
      .bind(modelId, version, ALL_REGIONS)
    : d1.prepare(`${VERSION_REGIONS} SELECT c.policy, c.slice_key, c.f1, c.f2, c.code, sum(c.n) AS n FROM r CROSS JOIN discovery_counts c
      ON c.region = r.region AND c.model_id = ?1 AND c.model_version = ?2 GROUP BY c.policy, c.slice_key, c.code HAVING sum(c.n) <> 0`).bind(modelId, version, scope);
  const [pops, ones, all, ignored] = await d1.batch([
    d1.prepare(GLOBAL_POPULATIONS).bind(modelId, version, scope),
    d1.prepare(GLOBAL_ONE_PREDICATE).bind(modelId, version, scope),
    totals,
    // The keys ignored in any region read, and (all regions read) in the totals.
    d1.prepare(`${VERSION_REGIONS} SELECT feature, min(reason) AS reason FROM discovery_ignored WHERE model_id = ?1 AND model_version = ?2
      AND (region IN (SELECT region FROM r) OR (?3 IS NULL AND region = '${ALL_REGIONS}')) GROUP BY feature`).bind(modelId, version, scope),
  ]);
  const ignoredRows = ignored.results as unknown as IgnoredFeature[];
  // Per policy over the regions: every cell, `policy` pooled back as a feature …
  const pooled = assemble(all.results as unknown as CountRow[], ignoredRows, (r) => [[PARTITION, r.policy]]);
  // … and the cells that name a region (the rest are in the totals already).
  const regionCells = emptyCounts();
  const add = (key: string, code: string, n: number) => addRow(regionCells, { slice_key: key, code, n } as CountRow);
  for (const r of pops.results as unknown as Array<Pick<CountRow, 'region' | 'policy' | 'code' | 'n'>>) {
    add(sliceKey([['region', r.region]]), r.code, r.n);
    add(sliceKey([['region', r.region], [PARTITION, r.policy]]), r.code, r.n);
  }
  const usedIgnored = new Set(pooled.ignored.map((g) => g.feature));
  for (const r of ones.results as unknown as Array<Pick<CountRow, 'region' | 'slice_key' | 'code' | 'n'>>) {
    const pred = predicatesOf(r.slice_key)[0];
    if (!usedIgnored.has(pred[0])) add(sliceKey([['region', r.region], pred]), r.code, r.n);
  }
  return { parts: [...pooled.parts, { predicates: [], counts: regionCells }], ignored: pooled.ignored };
}
