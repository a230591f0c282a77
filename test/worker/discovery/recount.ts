// Slice discovery's stored counts (discovery_counts) against a recount of the stored items of
// the whole region × model version: called wherever the counters are checked against the store
// (expectCountersMatchStore), so ingest, label webhooks, consensus and GPU backend results are
// all checked to move the discovery cells exactly as they move the items.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { emptyCounts, featuresOf, tally, type DiscoveryCounts } from '../../../taxonomy/discovery/index.ts';
import type { StoredItem } from '../../../functions/store/items/writer.ts';

/** policy|slice_key|code → n, every non-zero count of the recount. */
function flatten(parts: Map<string, DiscoveryCounts>): Map<string, number> {
  const out = new Map<string, number>();
  const put = (policy: string, key: string, cell: { n: number; errors: Record<string, number> }) => {
    if (cell.n) out.set(`${policy}|${key}|`, cell.n);
    for (const [code, v] of Object.entries(cell.errors)) if (v) out.set(`${policy}|${key}|${code}`, v);
  };
  for (const [policy, c] of parts) {
    put(policy, '[]', c.population);
    for (const [key, cell] of c.cells) put(policy, key, cell);
  }
  return out;
}

/** The recount by SPEC §11's population rule, straight from records. */
export function recountDiscovery(records: Iterable<StoredItem>): Map<string, number> {
  const parts = new Map<string, DiscoveryCounts>();
  for (const { i, d } of records) {
    if (d.outcome === 'pending' || (d.failure && d.primary === 'LBL.AMBIG')) continue;
    if (!parts.has(i.policy)) parts.set(i.policy, emptyCounts());
    tally(parts.get(i.policy)!, featuresOf(i).filter(([f]) => f !== 'policy'), d.failure ? d.primary : null);
  }
  return flatten(parts);
}

/** The stored rows of region `region` (or '*': summed over every region) equal the recount of the committed slices. */
async function expectRowsMatch(region: string, s: { region: string; model_id: string; model_version: string }, recordsOf: (pk: number) => Promise<Map<string, StoredItem>>) {
  const pks = (await env.DB.prepare(`SELECT s.pk FROM slices s JOIN slice_commits c ON c.slice_pk = s.pk
    WHERE (?1 = '*' OR s.region = ?1) AND s.model_id = ?2 AND s.model_version = ?3`).bind(region, s.model_id, s.model_version).all<{ pk: number }>()).results;
  const records: StoredItem[] = [];
  for (const { pk: p } of pks) records.push(...(await recordsOf(p)).values());
  const want = recountDiscovery(records);
  const rows = (await env.DB.prepare('SELECT policy, slice_key, code, n FROM discovery_counts WHERE region = ? AND model_id = ? AND model_version = ? AND n <> 0')
    .bind(region, s.model_id, s.model_version).all<{ policy: string; slice_key: string; code: string; n: number }>()).results;
  const got = new Map(rows.map((r) => [`${r.policy}|${r.slice_key}|${r.code}`, r.n]));
  const extra = [...got].filter(([k]) => !want.has(k)), missing = [...want].filter(([k, v]) => got.get(k) !== v);
  expect({ extra, missing }, `discovery cells of ${region} ${s.model_id} ${s.model_version}`).toEqual({ extra: [], missing: [] });
}

/** The stored rows of the region × version of slice `pk`, and of the version over all regions. */
export async function expectDiscoveryMatchStore(pk: number, recordsOf: (pk: number) => Promise<Map<string, StoredItem>>) {
  const s = (await env.DB.prepare('SELECT region, model_id, model_version FROM slices WHERE pk = ?').bind(pk).first<{ region: string; model_id: string; model_version: string }>())!;
  await expectRowsMatch(s.region, s, recordsOf);
  await expectRowsMatch('*', s, recordsOf);
}
