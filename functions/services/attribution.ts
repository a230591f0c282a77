// Closing the loop (SPEC §5, §9): did a recorded intervention move its targeted cells
// between the predecessor version and the version it was applied in, and what else moved?
import { bySignatureOrder, familyOf } from '../../taxonomy/signatures/index.ts';
import { COUNT, COUNTS_SQL, KEY, prefixRange, rateDenominator } from '../store/counters.ts';
import { testCells, Q_LEVEL, type Tested } from './compare.ts';
import { predecessor } from './versions.ts';

export interface Targets { signatures: string[]; regions: string[]; policies?: string[] }
export interface InterventionRecord {
  id: string; intervention: string; model: { id: string; version: string }; targets: Targets;
  note: string | null; applied_at: string; created_by: string; created_at: string;
}

type Counts = Map<string, Map<string, Map<string, number>>>; // version → region → metric (pooled over policies)

/**
 * One indexed read: both versions, the reader's regions (null: every region), the policies in
 * scope, pooled. Regions go in as one JSON parameter (json_each): a key may list more regions
 * than D1's 100 bound parameters.
 */
async function readPooled(d1: D1Database, modelId: string, versions: string[], regions: string[] | null, policies?: string[]): Promise<Counts> {
  const pol = policies?.length ? ` AND policy IN (${policies.map(() => '?').join(',')})` : '';
  const reg = regions ? ' AND region IN (SELECT value FROM json_each(?))' : '';
  const { results } = await d1.prepare(
    `SELECT model_version, region, metric, SUM(value) AS value FROM aggregates
     WHERE model_id = ? AND model_version IN (${versions.map(() => '?').join(',')})${reg}${pol}
     AND (metric IN (${COUNTS_SQL}) OR ${prefixRange(KEY.sig)})
     GROUP BY model_version, region, metric`,
  ).bind(modelId, ...versions, ...(regions ? [JSON.stringify(regions)] : []), ...(policies ?? [])).all<{ model_version: string; region: string; metric: string; value: number }>();
  const out: Counts = new Map();
  for (const r of results) {
    let v = out.get(r.model_version);
    if (!v) out.set(r.model_version, (v = new Map()));
    let g = v.get(r.region);
    if (!g) v.set(r.region, (g = new Map()));
    g.set(r.metric, r.value);
  }
  return out;
}

const get = (m: Map<string, number> | undefined, k: string) => m?.get(k) ?? 0;
const nOf = (m: Map<string, number> | undefined) => rateDenominator({ items: get(m, COUNT.items), excluded: get(m, COUNT.excluded), pending: get(m, COUNT.pending) });

export function isTargeted(t: Targets, region: string, signature: string): boolean {
  const regionOk = t.regions.includes('*') || t.regions.includes(region);
  return regionOk && (t.signatures.includes(signature) || t.signatures.includes(familyOf(signature)));
}

type Cell = { region: string; signature: string; before: Tested['from']; after: Tested['to']; diff: Tested['diff']; z: number | null; p: number | null; q: number | null };
export interface AttributionReport {
  intervention: InterventionRecord; before: string | null; after: string;
  targeted: Array<Cell & { verdict: 'effective' | 'no_effect' | 'harmful' | 'too_few'; recovered: number; shared_with: string[] }>;
  collateral: Array<Cell & { verdict: 'improved' | 'regressed' }>;
  summary: { recovered: number | null; overall_gain: number | null; attributable_share: number | null; weakly_attributable: boolean | null; note?: string };
}

/**
 * The attribution report of one intervention. `siblings` are all interventions recorded for
 * the same version (this one included): where k of them target the same cell, each is
 * credited 1/k of that cell's recovery (an even split — the data cannot tell them apart).
 * `regions` are the reader's regions (null: all, for the admin and '*' keys): targeted cells,
 * collateral, their multiple-testing correction and the overall gain are all computed over
 * those regions only, so a region key never sees a number of another region.
 */
export async function attribution(d1: D1Database, rec: InterventionRecord, siblings: InterventionRecord[], regions: string[] | null): Promise<AttributionReport> {
  const before = await predecessor(d1, rec.model.id, rec.model.version);
  if (!before) {
    return {
      intervention: rec, before: null, after: rec.model.version, targeted: [], collateral: [],
      summary: { recovered: null, overall_gain: null, attributable_share: null, weakly_attributable: null, note: 'no predecessor version: nothing to compare with' },
    };
  }
  const [scoped, all] = await Promise.all([
    readPooled(d1, rec.model.id, [before.version, rec.model.version], regions, rec.targets.policies),
    rec.targets.policies?.length ? readPooled(d1, rec.model.id, [before.version, rec.model.version], regions) : null,
  ]);
  const b = scoped.get(before.version) ?? new Map();
  const a = scoped.get(rec.model.version) ?? new Map();
  const present = [...new Set([...b.keys(), ...a.keys()])].filter((r) => get(b.get(r), COUNT.items) + get(a.get(r), COUNT.items) > 0).sort();
  const keys: Array<{ region: string; signature: string }> = [];
  const pairs: Array<{ from: [number, number]; to: [number, number] }> = [];
  for (const region of present) {
    const rb = b.get(region), ra = a.get(region);
    const sigs = new Set<string>();
    for (const m of [rb, ra]) for (const [k, v] of m ?? []) if (k.startsWith(KEY.sig) && v > 0 && k !== `${KEY.sig}LBL.AMBIG`) sigs.add(k.slice(KEY.sig.length));
    for (const s of [...sigs].sort(bySignatureOrder)) {
      keys.push({ region, signature: s });
      pairs.push({ from: [get(rb, KEY.sig + s), nOf(rb)], to: [get(ra, KEY.sig + s), nOf(ra)] });
    }
  }
  const tested = testCells(pairs);
  const targeted: AttributionReport['targeted'] = [];
  const collateral: AttributionReport['collateral'] = [];
  let recovered = 0;
  for (let i = 0; i < keys.length; i++) {
    const { region, signature } = keys[i];
    const t = tested[i];
    const cell = { region, signature, before: t.from, after: t.to, diff: t.diff, z: t.z, p: t.p, q: t.q };
    const significant = t.q !== null && t.q < Q_LEVEL && t.diff !== null && t.diff.value !== 0;
    if (isTargeted(rec.targets, region, signature)) {
      const sharedWith = siblings.filter((s) => s.id !== rec.id && isTargeted(s.targets, region, signature)).map((s) => s.id);
      const delta = t.from.n > 0 && t.to.n > 0 ? (t.from.count / t.from.n - t.to.count / t.to.n) * t.to.n : 0;
      const credit = delta / (1 + sharedWith.length);
      recovered += credit;
      const verdict = t.tooFew ? 'too_few' : significant ? (t.diff!.value < 0 ? 'effective' : 'harmful') : 'no_effect';
      targeted.push({ ...cell, verdict, recovered: credit, shared_with: sharedWith });
    } else if (significant) {
      collateral.push({ ...cell, verdict: t.diff!.value < 0 ? 'improved' : 'regressed' });
    }
  }
  // Overall gain of the model: the reader's regions, all policies.
  const overall = all ?? scoped;
  const tot = (v: string) => {
    let k = 0, n = 0;
    for (const m of (overall.get(v) ?? new Map()).values()) { k += get(m, COUNT.failures) - get(m, COUNT.excluded); n += nOf(m); }
    return { k, n };
  };
  const ob = tot(before.version), oa = tot(rec.model.version);
  const overallGain = ob.n > 0 && oa.n > 0 ? (ob.k / ob.n - oa.k / oa.n) * oa.n : 0;
  const share = overallGain > 0 ? recovered / overallGain : null;
  return {
    intervention: rec, before: before.version, after: rec.model.version, targeted, collateral,
    summary: { recovered, overall_gain: overallGain, attributable_share: share, weakly_attributable: share === null ? null : share < 0.5 },
  };
}
