// Slice-level signatures (SPEC §4, second table) for one region × model version, per policy,
// computed from aggregates only.
import { ece } from '../../taxonomy/stats/ece.ts';
import { binomialTest } from '../../taxonomy/stats/binomial.ts';
import { twoProportionZ } from '../../taxonomy/stats/ztest.ts';
import { benjaminiHochberg } from '../../taxonomy/stats/bh.ts';
import { psi } from '../../taxonomy/stats/psi.ts';
import { calibrationMisfit, disparity, disparityTested, distShift as shifted, type SliceSignatureCode } from '../../taxonomy/slice-signatures.ts';
import { COUNT, COUNTS_SQL, KEY, prefixRange } from '../store/counters.ts';
import { metric, type Cells } from './aggregates.ts';
import { compareCells, cellFailures, cellN } from './compare.ts';
import type { MappingEntry } from './mappings.ts';
import { jsonNumbers, numbersOf } from '../lib/db.ts';

export interface SliceSignature {
  code: SliceSignatureCode;
  policy: string;
  signature?: string;
  statistics: Record<string, unknown>;
  interventions: MappingEntry[];
}

const bins = (c: Map<string, number> | undefined) => Array.from({ length: 10 }, (_, b) => ({
  n: metric(c, KEY.calN + b), sumScore: metric(c, KEY.calS + b), positives: metric(c, KEY.calY + b),
}));

export function calibration(c: Map<string, number> | undefined) {
  const e = ece(bins(c));
  const fp = metric(c, 'fp');
  const fn = metric(c, 'fn');
  const p = fp + fn > 0 ? binomialTest(fp, fp + fn) : 1;
  return { fires: calibrationMisfit({ ece: e.ece, n: e.n, fp, fn, fpFnP: p }), ece: e.ece, n: e.n, fp, fn, fp_fn_p: p, reliability: e.bins };
}

type Counts = Map<string, Map<string, Map<string, number>>>; // region → policy → metric
const CROSS_REGION_TTL_MS = 15_000;
const crossRegion = new Map<string, { at: number; counts: Promise<Counts> }>();

/** REG.DISPARITY needs every region's counts of the version. Reading them on every scorecard
 *  grows with the number of regions, so each Worker instance keeps them for 15 s: a new slice
 *  shows in its own region at once, in other regions' disparity tests within 15 s. */
export function regionPolicyCountsCached(d1: D1Database, modelId: string, version: string): Promise<Counts> {
  const key = `${modelId}\u0000${version}`;
  const hit = crossRegion.get(key);
  if (hit && Date.now() - hit.at < CROSS_REGION_TTL_MS) return hit.counts;
  const counts = regionPolicyCounts(d1, modelId, version);
  crossRegion.set(key, { at: Date.now(), counts });
  counts.catch(() => crossRegion.delete(key));
  return counts;
}

/** Overlays one region's fresh counts on cached cross-region counts. */
function withRegion(counts: Counts, region: string, cells: Cells): Counts {
  const out: Counts = new Map(counts);
  const mine = new Map<string, Map<string, number>>();
  for (const [policy, c] of cells) {
    mine.set(policy, new Map(Object.values(COUNT).map((m) => [m, metric(c, m)])));
  }
  out.set(region, mine);
  return out;
}

// Disparities of a cached cross-region read (all 120+ regions' cells: a z-test each and BH over
// them), kept with the read: when a region's fresh counts equal what the read holds for it — no
// slice or label since — the answer is the read's own, so it is computed once per read.
const disparitiesOfRead = new WeakMap<Counts, ReturnType<typeof disparities>>();

function sameCounts(a: Map<string, Map<string, number>> | undefined, b: Map<string, Map<string, number>>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [policy, cb] of b) {
    const ca = a.get(policy);
    if (!ca) return false;
    for (const m of Object.values(COUNT)) if (metric(ca, m) !== metric(cb, m)) return false;
  }
  return true;
}

/** disparities() of the cross-region counts with the region's fresh cells in place of its cached ones. */
function disparitiesWith(crossRegion: Counts, region: string, cells: Cells) {
  const mine = withRegion(crossRegion, region, cells);
  if (!sameCounts(crossRegion.get(region), mine.get(region)!)) return disparities(mine);
  let d = disparitiesOfRead.get(crossRegion);
  if (!d) disparitiesOfRead.set(crossRegion, (d = disparities(crossRegion)));
  return d;
}

/** Region × policy failure counts of one model version, across regions (one indexed read, a
 *  row per region × policy: packed as packedCellsSql packs). */
export async function regionPolicyCounts(d1: D1Database, modelId: string, version: string): Promise<Counts> {
  const { results } = await d1.prepare(
    `SELECT region, policy, ${jsonNumbers('metric', 'value')} AS m FROM (SELECT region, policy, metric, value FROM aggregates
     WHERE model_id = ? AND model_version = ? AND metric IN (${COUNTS_SQL}) ORDER BY region, policy, metric) GROUP BY region, policy`,
  ).bind(modelId, version).all<{ region: string; policy: string; m: string }>();
  const out = new Map<string, Map<string, Map<string, number>>>(); // region → policy → metric
  for (const r of results) {
    let reg = out.get(r.region);
    if (!reg) out.set(r.region, (reg = new Map()));
    reg.set(r.policy, new Map(numbersOf(r.m)));
  }
  return out;
}

/** REG.DISPARITY over every region × policy cell with ≥100 items: each region against the
 *  rest of the world (the global rate without the region itself), BH over all cells. */
export function disparities(counts: Awaited<ReturnType<typeof regionPolicyCounts>>) {
  const global = new Map<string, [number, number]>();
  for (const reg of counts.values()) for (const [policy, c] of reg) {
    const g = global.get(policy) ?? [0, 0];
    global.set(policy, [g[0] + cellFailures(c), g[1] + cellN(c)]);
  }
  const cells: Array<{ region: string; policy: string; k: number; n: number; rest: [number, number]; z: number; p: number; q?: number }> = [];
  for (const [region, reg] of counts) for (const [policy, c] of reg) {
    const n = cellN(c);
    if (!disparityTested(n)) continue;
    const k = cellFailures(c);
    const g = global.get(policy)!;
    const rest: [number, number] = [g[0] - k, g[1] - n];
    const t = twoProportionZ(k, n, rest[0], rest[1]);
    cells.push({ region, policy, k, n, rest, z: t.z, p: t.p });
  }
  const qs = benjaminiHochberg(cells.map((c) => c.p));
  cells.forEach((c, i) => { c.q = qs[i]; });
  return { cells, global };
}

/** One policy's score, language and surface counters of one slice (metric → value as JSON). */
export interface ShiftRow { slice_pk: number; slice_id: string; policy: string; m: string }

/** The region's latest committed slice of a version (?1 region, ?2 model, ?3 version), and the
 *  score, language and surface counters of it and of the region's slice before it: one read,
 *  one row per slice × policy (packed as packedCellsSql packs, for the same reason). One range
 *  seek per prefix on slice_aggregates_metric, not a test of every counter of both slices. */
export const SHIFT_SQL = `WITH latest AS (SELECT pk FROM slices WHERE region = ?1 AND model_id = ?2 AND model_version = ?3 AND status IN ('complete', 'probing') ORDER BY pk DESC LIMIT 1),
  pks AS (SELECT pk FROM latest UNION ALL SELECT MAX(pk) FROM slices WHERE region = ?1 AND pk < (SELECT pk FROM latest) AND status IN ('complete', 'probing')),
  picked AS (${[KEY.score, KEY.lang, KEY.surface].map((prefix) => `SELECT sa.slice_pk, sa.policy, sa.metric, sa.value FROM pks JOIN slice_aggregates sa ON sa.slice_pk = pks.pk AND ${prefixRange(prefix, 'sa.metric')}`).join(' UNION ALL ')})
  SELECT r.slice_pk, s.slice_id, r.policy, ${jsonNumbers('r.metric', 'r.value')} AS m
  FROM (SELECT * FROM picked ORDER BY slice_pk, policy, metric) r JOIN slices s ON s.pk = r.slice_pk GROUP BY r.slice_pk, r.policy`;

/** DIST.SHIFT per policy present in both slices. */
function distShift(latestPk: number, rows: readonly ShiftRow[]) {
  const by = new Map<number, { slice_id: string; cells: Cells }>();
  for (const r of rows) {
    let s = by.get(r.slice_pk);
    if (!s) by.set(r.slice_pk, (s = { slice_id: r.slice_id, cells: new Map() }));
    s.cells.set(r.policy, new Map(numbersOf(r.m)));
  }
  const cur = by.get(latestPk);
  const prev = [...by.entries()].find(([pk]) => pk !== latestPk)?.[1];
  if (!cur || !prev) return [];
  const out: Array<{ policy: string; statistics: Record<string, unknown> }> = [];
  for (const [policy, c] of cur.cells) {
    const p = prev.cells.get(policy);
    if (!p) continue;
    const pick = (cell: Map<string, number>, prefix: string) =>
      Object.fromEntries([...cell].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const scoreBins = (cell: Map<string, number>) => Array.from({ length: 10 }, (_, b) => metric(cell, KEY.score + b));
    const psiScore = psi(scoreBins(p), scoreBins(c));
    const psiLanguage = psi(pick(p, KEY.lang), pick(c, KEY.lang));
    const psiSurface = psi(pick(p, KEY.surface), pick(c, KEY.surface));
    const fires = shifted([psiScore, psiLanguage, psiSurface]);
    if (fires) out.push({ policy, statistics: { psi_score: psiScore, psi_language: psiLanguage, psi_surface: psiSurface, slice: cur.slice_id, previous_slice: prev.slice_id } });
  }
  return out;
}

export interface SliceSignatureInputs {
  region: string;
  cells: Cells;
  crossRegion: Counts;
  mapping: (family: string) => MappingEntry[];
  previous: { version: string; cells: Cells } | null;
  shift: { latestPk: number; rows: readonly ShiftRow[] } | null;
}

/** Pure: every slice-level signature of one region × model version from what was read. */
export function sliceSignatures(x: SliceSignatureInputs): SliceSignature[] {
  const { region, cells, mapping } = x;
  const out: SliceSignature[] = [];
  for (const [policy, c] of cells) {
    const cal = calibration(c);
    if (cal.fires) {
      const { fires: _f, ...statistics } = cal;
      out.push({ code: 'CAL.MISFIT', policy, statistics, interventions: mapping('CAL.MISFIT') });
    }
  }
  const { cells: disp, global } = disparitiesWith(x.crossRegion, region, cells);
  for (const d of disp) {
    if (d.region !== region || !disparity({ q: d.q!, z: d.z })) continue;
    const g = global.get(d.policy)!;
    out.push({
      code: 'REG.DISPARITY', policy: d.policy, interventions: mapping('REG.DISPARITY'),
      statistics: { rate: d.k / d.n, n: d.n, rest_of_world_rate: d.rest[1] ? d.rest[0] / d.rest[1] : null, global_rate: g[1] ? g[0] / g[1] : null, z: d.z, p: d.p, q: d.q, cells_tested: disp.length },
    });
  }
  if (x.previous) {
    for (const cell of compareCells(x.previous.cells, cells)) {
      if (cell.signature === '*' || cell.verdict !== 'regressed') continue;
      out.push({
        code: 'VER.REGRESSION', policy: cell.policy, signature: cell.signature, interventions: mapping('VER.REGRESSION'),
        statistics: { previous_version: x.previous.version, from: cell.from, to: cell.to, diff: cell.diff, z: cell.z, p: cell.p, q: cell.q },
      });
    }
  }
  for (const s of x.shift ? distShift(x.shift.latestPk, x.shift.rows) : []) {
    out.push({ code: 'DIST.SHIFT', policy: s.policy, statistics: s.statistics, interventions: mapping('DIST.SHIFT') });
  }
  return out;
}
