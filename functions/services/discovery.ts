// Slice discovery (SPEC §11): the stored counts of a region (or of every region a key may see)
// pooled over their partitions, searched by the pure core, and each slice given the link to
// its items (§10's items route).
import { discover, pooledCounts, type DiscoveredSlice, type DiscoveryResult, type IgnoredFeature } from '../../taxonomy/discovery/index.ts';
import { ALL_ITEM_SIGNATURE_CODES } from '../../taxonomy/signatures/index.ts';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { badRequest } from '../lib/errors.ts';
import { readGlobalDiscovery, readRegionDiscovery, type StoredDiscovery } from '../store/discovery-counts.ts';
import { assertRegion } from '../store/regions.ts';
import { getVersion } from './versions.ts';

export interface DiscoveryQuery { model: string; version: string; signature?: string; policy?: string }

export type LinkedSlice = Omit<DiscoveredSlice, 'folded'> & { folded: LinkedSlice[]; items_url: string | null };
export type DiscoveryResponse = Omit<DiscoveryResult, 'slices'> & { slices: LinkedSlice[] };

/** A primary code or a family prefix the taxonomy has (UNEXPLAINED included), else 400. */
export function checkSignature(signature: string | undefined): void {
  if (signature === undefined) return;
  if (!ALL_ITEM_SIGNATURE_CODES.some((c) => c === signature || c.startsWith(signature + '.'))) {
    throw badRequest(`signature: '${signature}' is neither a signature code nor a family of one`, { field: 'signature' });
  }
}

/**
 * §10's items route filtered to the slice: `policy` is its own filter there; every other
 * predicate is a query parameter named by its feature (`surface=short`, `attr.tier=new`), and
 * `population=discovery` keeps the items discovery counts. A
 * slice pooled over regions without a region predicate has no one items route: null.
 */
export function itemsUrl(slice: Pick<DiscoveredSlice, 'predicates'>, q: DiscoveryQuery, region: string | undefined): string | null {
  const own = slice.predicates.find((p) => p.feature === 'region');
  const r = own?.value ?? region;
  if (r === undefined) return null;
  const params = new URLSearchParams({ model: q.model, version: q.version });
  if (q.policy !== undefined) params.set('policy', q.policy);
  // A slice's n counts only items with an outcome, not excluded: so does its listing.
  params.set('population', 'discovery');
  for (const p of slice.predicates) if (p !== own) params.set(p.feature, p.value);
  return `/v1/regions/${encodeURIComponent(r)}/items?${params}`;
}

/** `counts`: the stored parts pooled (once per read, also when a page asks two questions). */
function answer(stored: StoredDiscovery, q: DiscoveryQuery, region: string | undefined, counts = pooledCounts(stored.parts)): DiscoveryResponse {
  const result = discover(counts, { signature: q.signature });
  // Keys the store stopped counting are named beside those the search left out.
  const ignored = new Map<string, IgnoredFeature>(stored.ignored.map((g) => [g.feature, g]));
  for (const g of result.ignored_features) if (!ignored.has(g.feature)) ignored.set(g.feature, g);
  const link = (s: DiscoveredSlice): LinkedSlice => ({ ...s, folded: s.folded.map(link), items_url: itemsUrl(s, q, region) });
  return {
    ...result,
    ignored_features: [...ignored.values()].sort((a, b) => (a.feature < b.feature ? -1 : 1)),
    slices: result.slices.map(link),
  };
}

/** One region × model version (optionally one policy). */
export async function regionDiscovery(d1: D1Database, region: string, q: DiscoveryQuery): Promise<DiscoveryResponse> {
  checkSignature(q.signature);
  if (q.policy !== undefined && !POLICY_CODES.includes(q.policy)) throw badRequest(`policy: unknown policy '${q.policy}'`, { field: 'policy' });
  await assertRegion(d1, region);
  await getVersion(d1, q.model, q.version);
  return answer(await readRegionDiscovery(d1, region, q.model, q.version, q.policy), q, region);
}

/** A model version pooled over `regions` (null: all), `region` being one more feature. */
export async function globalDiscovery(d1: D1Database, regions: string[] | null, q: DiscoveryQuery): Promise<DiscoveryResponse> {
  checkSignature(q.signature);
  await getVersion(d1, q.model, q.version);
  return answer(await readGlobalDiscovery(d1, q.model, q.version, regions), q, undefined);
}

/** For the pages: all failures and UNEXPLAINED ones from one read of the counts. */
export interface DiscoveryPair { all: DiscoveryResponse; unexplained: DiscoveryResponse }
function pair(stored: StoredDiscovery, q: DiscoveryQuery, region: string | undefined): DiscoveryPair {
  const counts = pooledCounts(stored.parts);
  return { all: answer(stored, q, region, counts), unexplained: answer(stored, { ...q, signature: 'UNEXPLAINED' }, region, counts) };
}

export async function regionDiscoveryPair(d1: D1Database, region: string, q: DiscoveryQuery): Promise<DiscoveryPair> {
  return pair(await readRegionDiscovery(d1, region, q.model, q.version), q, region);
}

const GLOBAL_PAGE_TTL_MS = 15_000;
const GLOBAL_PAGE_ENTRIES = 64;
const globalPage = new Map<string, { at: number; pair: Promise<DiscoveryPair> }>();

/** The global page's pair, kept 15 s per Worker instance and key scope: reading a version over
 *  every region costs seconds, the heatmap page's budget is a fraction of one (the JSON route
 *  always reads afresh). */
export function globalDiscoveryPair(d1: D1Database, regions: string[] | null, q: DiscoveryQuery): Promise<DiscoveryPair> {
  const key = JSON.stringify([q.model, q.version, regions]);
  const hit = globalPage.get(key);
  if (hit && Date.now() - hit.at < GLOBAL_PAGE_TTL_MS) return hit.pair;
  const p = readGlobalDiscovery(d1, q.model, q.version, regions).then((stored) => pair(stored, q, undefined));
  if (globalPage.size >= GLOBAL_PAGE_ENTRIES) globalPage.delete(globalPage.keys().next().value!);
  globalPage.set(key, { at: Date.now(), pair: p });
  p.catch(() => globalPage.delete(key));
  return p;
}
