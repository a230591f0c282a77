// Planted-cause recovery: after a demo world has been pushed, does the service find the
// causes that were planted? Read through the public API only:
//   - per planted region × version, the scorecard (GET /v1/regions/{r}/scorecard): the count
//     of the plant's expected signature in the plant's policy cell, against the number of
//     failures planted there (the background never carries a planted code, and the
//     generator's own truth says how many of that code it put there in all), and whether the
//     region's top recommendation is the intervention the plant calls for;
//   - where a later version fixes a plant, the residual count of its signature there;
//   - a confusion table (planted cause × observed primary), from a sample of planted items
//     read one by one (GET …/items/{item_id}): item scans are expensive, so only a sample.
// Workers-compatible: no node: imports.
import { getJson, mapLimit, sameRecord, type FetchLike } from './push.ts';
import type { Cause, DemoSlice, Plant, World } from './world.ts';
import { namesSignature } from './verify.ts';

export interface RecoveryRow {
  cause: Cause;
  plants: string[];
  signature: string;
  intervention: string;
  regions: number;
  /** Region × version cells where the cause is present. */
  cells: number;
  planted: number;
  /** Planted failures the scorecards attribute to the expected signature. */
  recovered: number;
  share: number;
  /** Observed count of the signature beyond what was generated (should be 0). */
  spurious: number;
  /** Cells whose top recommendation is the plant's intervention. */
  topMatches: number;
  topShare: number;
  /** Cells where a later version fixed the cause, and the signature's count left there. */
  fixedCells: number;
  residual: number;
  /** Sampled planted items read one by one, and how many named the expected signature. */
  sampled: number;
  sampledMatches: number;
  misses: Array<{ region: string; version: string; observed: number; planted: number; top: string | null }>;
}

export interface RecoveryResult {
  rows: RecoveryRow[];
  /** cause → observed primary → count (sampled planted items). */
  confusion: Record<string, Record<string, number>>;
  /** Σ over every slice, policy and code of min(observed, generated) ÷ Σ generated. */
  agreement: { matched: number; expected: number; share: number };
  markdown: string;
  ok: boolean;
}

export interface RecoveryOptions {
  /** Planted items read one by one per plant × slice (default 5; Infinity = all). */
  samplePerSlice?: number;
  /** GETs in flight (default 8). */
  concurrency?: number;
  /** Target share per cause (default 0.95). */
  target?: number;
}

interface ScorecardLite {
  by_signature: Array<{ code: string; count: number }>;
  by_policy: Array<{ policy: string; by_signature: Array<{ code: string; count: number }> }>;
  recommendations: Array<{ intervention: string; score: number }>;
}

const countOf = (sigs: Array<{ code: string; count: number }>, expected: string) =>
  sigs.filter((s) => namesSignature(s.code, expected)).reduce((a, s) => a + s.count, 0);

/** Generated count of codes naming `expected` in the slice's truth, for one policy or all. */
function generatedOf(slice: DemoSlice, expected: string, policy?: string): number {
  let n = 0;
  for (const [p, codes] of Object.entries(slice.truth.expected)) {
    if (policy && p !== policy) continue;
    for (const [code, k] of Object.entries(codes)) if (namesSignature(code, expected)) n += k;
  }
  return n;
}

export async function evaluateRecovery(
  world: Pick<World, 'slices' | 'plants' | 'model'>,
  fetch: FetchLike,
  baseUrl: string,
  token: string,
  opts: RecoveryOptions = {},
): Promise<RecoveryResult> {
  const api = { fetch, baseUrl, token };
  const sample = opts.samplePerSlice ?? 5;
  const limit = opts.concurrency ?? 8;
  const target = opts.target ?? 0.95;
  const plants = new Map<string, Plant>(world.plants.map((p) => [p.id, p]));

  // Every scorecard once.
  const keys = [...new Set(world.slices.map((s) => `${s.region}|${s.model.version}`))];
  const cards = new Map<string, ScorecardLite>();
  await mapLimit(keys, limit, async (key) => {
    const [region, version] = key.split('|');
    const r = await getJson(api, `/v1/regions/${region}/scorecard?model=${encodeURIComponent(world.model)}&version=${encodeURIComponent(version)}`);
    if (r.status !== 200) throw new Error(`scorecard ${region} v${version}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    cards.set(key, r.body as ScorecardLite);
  });
  const cellOf = (card: ScorecardLite, policy?: string) =>
    policy ? card.by_policy.find((p) => p.policy === policy)?.by_signature ?? [] : card.by_signature;

  const rows = new Map<Cause, RecoveryRow>();
  const rowFor = (plant: Plant): RecoveryRow => {
    let row = rows.get(plant.cause);
    if (!row) {
      row = {
        cause: plant.cause, plants: [], signature: plant.expectSignature, intervention: plant.expectIntervention,
        regions: 0, cells: 0, planted: 0, recovered: 0, share: 0, spurious: 0, topMatches: 0, topShare: 0,
        fixedCells: 0, residual: 0, sampled: 0, sampledMatches: 0, misses: [],
      };
      rows.set(plant.cause, row);
    }
    if (!row.plants.includes(plant.id)) { row.plants.push(plant.id); row.regions += plant.regions.length; }
    return row;
  };
  for (const p of world.plants) rowFor(p);

  const toSample: Array<{ slice: DemoSlice; cause: Cause; signature: string; item: string }> = [];
  for (const slice of world.slices) {
    const card = cards.get(`${slice.region}|${slice.model.version}`)!;
    for (const entry of slice.truth.planted) {
      const plant = plants.get(entry.plant)!;
      const row = rowFor(plant);
      const observed = countOf(cellOf(card, plant.policy), plant.expectSignature);
      const generated = generatedOf(slice, plant.expectSignature, plant.policy);
      const background = generated - entry.items.length; // 0 by construction
      const recovered = Math.max(0, Math.min(entry.items.length, observed - background));
      const top = card.recommendations[0]?.intervention ?? null;
      row.cells++;
      row.planted += entry.items.length;
      row.recovered += recovered;
      row.spurious += Math.max(0, observed - generated);
      if (top === plant.expectIntervention) row.topMatches++;
      if (recovered < entry.items.length || top !== plant.expectIntervention) {
        row.misses.push({ region: slice.region, version: slice.model.version, observed, planted: entry.items.length, top });
      }
      for (const item of entry.items.slice(0, sample)) toSample.push({ slice, cause: plant.cause, signature: plant.expectSignature, item });
    }
    // Plants fixed by this version in this region: what is left of their signature?
    for (const plant of world.plants) {
      if (!plant.fixedIn || !plant.regions.includes(slice.region) || Number(slice.model.version) < Number(plant.fixedIn)) continue;
      const row = rowFor(plant);
      row.fixedCells++;
      row.residual += countOf(cellOf(card, plant.policy), plant.expectSignature);
    }
  }

  // Confusion table from a sample of planted items.
  const confusion: Record<string, Record<string, number>> = {};
  await mapLimit(toSample, limit, async ({ slice, cause, signature, item }) => {
    const r = await getJson(api, `/v1/regions/${slice.region}/slices/${encodeURIComponent(slice.slice_id)}/items/${encodeURIComponent(item)}`);
    const primary: string = r.status === 200 ? (r.body.primary ?? `(${r.body.outcome})`) : `(HTTP ${r.status})`;
    const cell = (confusion[cause] ??= {});
    cell[primary] = (cell[primary] ?? 0) + 1;
    const row = rows.get(cause)!;
    row.sampled++;
    if (namesSignature(primary, signature)) row.sampledMatches++;
  });

  // Whole-slice agreement of the scorecards with the generator's truth.
  let matched = 0;
  let expected = 0;
  for (const slice of world.slices) {
    const card = cards.get(`${slice.region}|${slice.model.version}`)!;
    for (const [policy, codes] of Object.entries(slice.truth.expected)) {
      const sigs = cellOf(card, policy);
      for (const [code, k] of Object.entries(codes)) {
        expected += k;
        matched += Math.min(k, sigs.find((s) => s.code === code)?.count ?? 0);
      }
    }
  }

  const out = [...rows.values()].filter((r) => r.cells > 0 || r.fixedCells > 0);
  for (const r of out) {
    r.share = r.planted ? r.recovered / r.planted : 1;
    r.topShare = r.cells ? r.topMatches / r.cells : 1;
  }
  const agreement = { matched, expected, share: expected ? matched / expected : 1 };
  const ok = out.every((r) => r.share >= target && r.topShare >= target && r.residual === 0);
  return { rows: out, confusion, agreement, markdown: recoveryMarkdown(out, confusion, agreement, target), ok };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function recoveryMarkdown(rows: RecoveryRow[], confusion: RecoveryResult['confusion'], agreement: RecoveryResult['agreement'], target = 0.95): string {
  const lines = [
    `| planted cause | plants | expected primary | expected top intervention | regions | region × versions | planted failures | recovered | share | top recommendation = expected | after the fix: residual |`,
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.cause} | ${r.plants.join(', ')} | \`${r.signature}\` | \`${r.intervention}\` | ${r.regions} | ${r.cells} | ${r.planted} | ${r.recovered} | **${pct(r.share)}** ${r.share >= target ? '✓' : '✗'} | ${r.topMatches}/${r.cells} (${pct(r.topShare)}) ${r.topShare >= target ? '✓' : '✗'} | ${r.fixedCells ? `${r.residual} in ${r.fixedCells} cells` : '—'} |`),
    '',
    `Scorecard signature counts vs the generator's truth, every slice × policy × primary: ${agreement.matched} of ${agreement.expected} failures (${pct(agreement.share)}).`,
  ];
  const codes = [...new Set(Object.values(confusion).flatMap((m) => Object.keys(m)))].sort();
  if (codes.length) {
    lines.push('', 'Confusion (sampled planted items, read one by one: planted cause × observed primary signature):', '',
      `| planted cause | ${codes.map((c) => `\`${c}\``).join(' | ')} |`,
      `|---|${codes.map(() => '---:').join('|')}|`,
      ...rows.map((r) => `| ${r.cause} | ${codes.map((c) => confusion[r.cause]?.[c] ?? 0).join(' | ')} |`));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Closing the loop: do the planted interventions get the verdicts they were planted with?

export interface InterventionCheckRow {
  intervention: string;
  version: string;
  id: string | null;
  plant: string;
  region: string;
  signature: string;
  expected: string;
  reported: string | null;
  q: number | null;
  diff: number | null;
  ok: boolean;
}

export interface CollateralCheckRow {
  intervention: string;
  version: string;
  region: string;
  signature: string;
  expected: string;
  reported: string | null;
  q: number | null;
  ok: boolean;
}

export interface InterventionCheck {
  rows: InterventionCheckRow[];
  collateral: CollateralCheckRow[];
  /** Per planted intervention: id, summary and how many collateral cells the report lists. */
  reports: Array<{ intervention: string; version: string; id: string | null; summary: any; collateral: number }>;
  markdown: string;
  ok: boolean;
}

/**
 * Reads each planted intervention's record (GET /v1/interventions?model=&version=, matched by
 * intervention, targets and note) and its attribution (GET /v1/interventions/{id}/attribution):
 * the verdict of every targeted (region, signature) cell against the planted expectation, and
 * whether the expected collateral cells are listed with the expected direction.
 */
export async function evaluateInterventions(
  world: Pick<World, 'model' | 'interventions'>,
  fetch: FetchLike,
  baseUrl: string,
  token: string,
): Promise<InterventionCheck> {
  const api = { fetch, baseUrl, token };
  const lists = new Map<string, any[]>();
  const rows: InterventionCheckRow[] = [];
  const collateral: CollateralCheckRow[] = [];
  const reports: InterventionCheck['reports'] = [];
  for (const rec of world.interventions) {
    let list = lists.get(rec.version);
    if (!list) {
      const r = await getJson(api, `/v1/interventions?model=${encodeURIComponent(world.model)}&version=${encodeURIComponent(rec.version)}`);
      if (r.status !== 200) throw new Error(`interventions v${rec.version}: HTTP ${r.status}`);
      lists.set(rec.version, (list = r.body.interventions));
    }
    const found = list!.find((x: any) => sameRecord(x, rec));
    let report = null;
    if (found) {
      const r = await getJson(api, `/v1/interventions/${encodeURIComponent(found.id)}/attribution`);
      if (r.status !== 200) throw new Error(`attribution of ${found.id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      report = r.body;
    }
    reports.push({ intervention: rec.intervention, version: rec.version, id: found?.id ?? null, summary: report?.summary ?? null, collateral: report?.collateral?.length ?? 0 });
    for (const region of rec.targets.regions) {
      for (const signature of rec.targets.signatures) {
        const cell = report?.targeted?.find((c: any) => c.region === region && c.signature === signature);
        rows.push({
          intervention: rec.intervention, version: rec.version, id: found?.id ?? null, plant: rec.plant, region, signature,
          expected: rec.expect, reported: cell?.verdict ?? null, q: cell?.q ?? null, diff: cell?.diff?.value ?? null, ok: cell?.verdict === rec.expect,
        });
      }
    }
    for (const want of rec.collateral) {
      const cell = report?.collateral?.find((c: any) => c.region === want.region && c.signature === want.signature);
      collateral.push({
        intervention: rec.intervention, version: rec.version, region: want.region, signature: want.signature,
        expected: want.verdict, reported: cell?.verdict ?? null, q: cell?.q ?? null, ok: cell?.verdict === want.verdict,
      });
    }
  }
  const ok = rows.length > 0 && rows.every((r) => r.ok) && collateral.every((c) => c.ok);
  return { rows, collateral, reports, markdown: interventionsMarkdown(rows, collateral, reports), ok };
}

const fmtQ = (q: number | null) => (q === null ? '—' : q >= 0.001 ? q.toFixed(3) : q.toExponential(1));
const fmtPp = (d: number | null) => (d === null ? '—' : `${d > 0 ? '+' : ''}${(100 * d).toFixed(2)} pp`);

export function interventionsMarkdown(rows: InterventionCheckRow[], collateral: CollateralCheckRow[], reports: InterventionCheck['reports']): string {
  const n = rows.filter((r) => r.ok).length;
  const lines = [
    `Planted interventions: expected verdict vs reported verdict — ${n} of ${rows.length} targeted cells as planted${collateral.length ? `; expected collateral shown: ${collateral.filter((c) => c.ok).length} of ${collateral.length}` : ''}.`,
    '',
    '| intervention | version | plant | targeted region | signature | expected | reported | difference | q (BH) | |',
    '|---|---|---|---|---|---|---|---:|---:|---|',
    ...rows.map((r) => `| \`${r.intervention}\` | v${r.version} | ${r.plant} | ${r.region} | \`${r.signature}\` | ${r.expected} | ${r.reported ?? '(missing)'} | ${fmtPp(r.diff)} | ${fmtQ(r.q)} | ${r.ok ? '✓' : '✗'} |`),
  ];
  if (collateral.length) {
    lines.push('', 'Expected collateral (a side effect planted in a region the intervention does not target):', '',
      '| intervention | version | region | signature | expected | reported | q (BH) | |',
      '|---|---|---|---|---|---|---:|---|',
      ...collateral.map((c) => `| \`${c.intervention}\` | v${c.version} | ${c.region} | \`${c.signature}\` | ${c.expected} | ${c.reported ?? 'not listed'} | ${fmtQ(c.q)} | ${c.ok ? '✓' : '✗'} |`));
  }
  lines.push('', 'Summaries (recovered = Σ over targeted cells of (before − after rate) · after n, shared evenly between interventions on the same cell):', '',
    '| intervention | version | recovered | overall gain | attributable share | weakly attributable | collateral cells |',
    '|---|---|---:|---:|---:|---|---:|',
    ...reports.map((r) => `| \`${r.intervention}\` | v${r.version} | ${r.summary?.recovered?.toFixed(1) ?? '—'} | ${r.summary?.overall_gain?.toFixed(1) ?? '—'} | ${r.summary?.attributable_share == null ? '—' : r.summary.attributable_share.toFixed(2)} | ${r.summary?.weakly_attributable ?? '—'} | ${r.collateral} |`));
  return lines.join('\n');
}
