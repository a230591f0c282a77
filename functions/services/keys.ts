// Region keys (SPEC §8): created with a random secret shown once (only its SHA-256 is kept),
// revoked by id, listed without their secrets (the hash is never shown either).
import type { Scope } from '../env.ts';
import { randomToken, sha256Hex } from '../lib/crypto.ts';
import { nowIso } from '../lib/db.ts';
import { assertRegions } from '../store/regions.ts';

/** `regions`: codes (checked against the catalogue) or ['*']; `note`: the admin's free text, kept
 *  with the key (null when none) so a later list can say what a key is for. */
export async function createKey(d1: D1Database, regions: string[], scopes: Scope[], note: string | null = null): Promise<{ id: string; key: string; note: string | null }> {
  if (!regions.includes('*')) await assertRegions(d1, regions, 'regions');
  const id = `key_${randomToken(9)}`;
  const key = `avlm_${randomToken(32)}`;
  await d1.prepare('INSERT INTO api_keys (id, hash, regions, scopes, created_at, note) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(id, await sha256Hex(key), JSON.stringify(regions), JSON.stringify(scopes), nowIso(), note).run();
  return { id, key, note };
}

/** False when there is no such key, or it was revoked already. */
export async function revokeKey(d1: D1Database, id: string): Promise<boolean> {
  const r = await d1.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').bind(nowIso(), id).run();
  return r.meta.changes === 1;
}

export interface KeyInfo { id: string; regions: string[]; scopes: string[]; note: string | null; created_at: string; revoked_at: string | null }

/** Every key, newest first; revoked ones only when `all`. */
export async function listKeys(d1: D1Database, all: boolean): Promise<KeyInfo[]> {
  const { results } = await d1.prepare(`SELECT id, regions, scopes, note, created_at, revoked_at FROM api_keys
    WHERE ?1 OR revoked_at IS NULL ORDER BY created_at DESC, id`).bind(all ? 1 : 0)
    .all<{ id: string; regions: string; scopes: string; note: string | null; created_at: string; revoked_at: string | null }>();
  return results.map((r) => ({ ...r, regions: JSON.parse(r.regions), scopes: JSON.parse(r.scopes) }));
}
