// D1 as the item store's write buffer (issue 14): once every record of a complete slice is in its
// partition, and the slice has been quiet for EVICT_QUIET_MS, D1's copy (its parts and overlay
// rows) is deleted. D1 then holds the items of recent or recently edited slices only, not every
// item; readers fall back to the partition (store/items/editor.ts readRecords), and a later edit
// of an evicted item writes an overlay row that the next sync copies and the next eviction drops.
//
// Safe because:
// - every record is copied: the watermark equals the slice's version (no edit since the last
//   whole sync, which read every current record), and the partition holds as many of the slice's
//   items as that sync wrote, none with a version from before per-item versions;
// - the batch is guarded: if the version, the watermark or the eviction count moved since the
//   check, nothing is deleted;
// - a write planned from a read older than the quiet period could slip past a guard once D1's
//   rows are gone, so none is: the item cache forgets after ITEM_CACHE_TTL_MS (items/cache.ts),
//   and a request reads and writes within seconds;
// - the watermark is reset with the rows (the version sums what D1 holds, so it drops too), and a
//   sync that read before the eviction does not write its watermark (evictions moved: sync.ts).
// Slices still probing are never evicted (the GPU backend rewrites their parts).
import { nowIso } from '../../lib/db.ts';
import { sliceVersionSql } from '../items/slice-read.ts';
import { ITEM_CACHE_TTL_MS } from '../items/cache.ts';
import { abortOf, guardSql } from '../guards.ts';
import { partitionOf, type ItemStore } from './stub.ts';

/** How long a slice must have gone unedited since its last whole sync before D1's copy goes. */
export const EVICT_QUIET_MS = 15 * 60_000;
// A cached location must never outlive the quiet period (see the file comment).
if (ITEM_CACHE_TTL_MS * 4 > EVICT_QUIET_MS) throw new Error('EVICT_QUIET_MS must be well above ITEM_CACHE_TTL_MS');

export interface Evicted {
  slices: number;
  /** Items whose D1 copy went (the slices' item counts). */
  items: number;
  /** Candidates left as they are: partition short of the slice, or the slice moved on meanwhile. */
  skipped: number;
}

/** A slice as its eviction was planned: its version and eviction count then. */
export interface EvictCandidate {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string;
  items: number; version: number; evictions: number;
}

/**
 * Evicts D1's copy of up to `maxSlices` complete slices that are fully copied and quiet, oldest
 * sync first. Idempotent; run by the cron and by the migration route after its syncs.
 */
export async function evictCopied(env: ItemStore, maxSlices: number, now = Date.now()): Promise<Evicted> {
  const cutoff = new Date(now - EVICT_QUIET_MS).toISOString();
  const { results } = await env.DB.prepare(`SELECT s.pk, s.region, s.slice_id, s.model_id, s.model_version, s.items, p.version, p.evictions
      FROM partition_sync p JOIN slices s ON s.region = p.region AND s.slice_id = p.slice_id AND s.pk = p.slice_pk
      WHERE s.status = 'complete' AND p.synced_at < ?1
        AND (EXISTS (SELECT 1 FROM item_chunks c WHERE c.slice_pk = s.pk) OR EXISTS (SELECT 1 FROM item_overlays o WHERE o.slice_pk = s.pk))
        AND p.version = ${sliceVersionSql('s.pk')}
      ORDER BY p.synced_at LIMIT ?2`).bind(cutoff, maxSlices).all<EvictCandidate>();
  const out: Evicted = { slices: 0, items: 0, skipped: 0 };
  for (const c of results) {
    if (await evictSlice(env, c)) {
      out.slices++;
      out.items += c.items;
    } else out.skipped++;
  }
  return out;
}

/** Deletes D1's copy of one slice's items if its partition holds them all and nothing moved
 *  since `c` was read; false (nothing deleted) otherwise. */
export async function evictSlice(env: ItemStore, c: EvictCandidate): Promise<boolean> {
  const held = await partitionOf(env, c.region, c.model_id, c.model_version).sliceHeld(c.slice_id);
  if (held.items !== c.items || held.unversioned > 0) {
    console.error(`eviction of ${c.region}/${c.slice_id} skipped: its partition holds ${held.items} of ${c.items} items (${held.unversioned} unversioned)`);
    return false;
  }
  const at = 'region = ?2 AND slice_id = ?3';
  try {
    await env.DB.batch([
      env.DB.prepare(guardSql(`(SELECT version = ?4 AND evictions = ?5 AND slice_pk = ?1 FROM partition_sync WHERE ${at})
          AND ${sliceVersionSql('?1')} = ?4 AND (SELECT status FROM slices WHERE pk = ?1) = 'complete'`, 'not-evictable'))
        .bind(c.pk, c.region, c.slice_id, c.version, c.evictions),
      env.DB.prepare('DELETE FROM item_chunks WHERE slice_pk = ?').bind(c.pk),
      env.DB.prepare('DELETE FROM item_overlays WHERE slice_pk = ?').bind(c.pk),
      env.DB.prepare(`UPDATE partition_sync SET version = 0, evictions = evictions + 1, evicted_at = ?1 WHERE ${at}`)
        .bind(nowIso(), c.region, c.slice_id),
    ]);
    return true;
  } catch (e) {
    if (abortOf(e) !== 'not-evictable') throw e;
    return false;
  }
}
