// Bearer auth: the admin token (ADMIN_TOKEN secret) or a region key, stored only as its SHA-256.
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Principal, Scope } from '../env.ts';
import { forbidden, unauthorized } from '../lib/errors.ts';
import { sha256Hex, timingSafeEqualStr } from '../lib/crypto.ts';

// Region keys looked up recently, by key hash: saves a D1 round trip on every request. A
// revocation takes effect at once in the instance that revoked it, within KEY_TTL_MS elsewhere.
const KEY_TTL_MS = 10_000;
const keyCache = new Map<string, { at: number; principal: Principal | null }>();

export function forgetKey(id: string): void {
  for (const [hash, v] of keyCache) if (v.principal?.id === id) keyCache.delete(hash);
}

export async function resolvePrincipal(env: AppEnv['Bindings'], header: string | undefined): Promise<Principal | null> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const token = m[1];
  if (env.ADMIN_TOKEN && timingSafeEqualStr(token, env.ADMIN_TOKEN)) return { kind: 'admin', id: 'admin' };
  const hash = await sha256Hex(token);
  const hit = keyCache.get(hash);
  if (hit && Date.now() - hit.at < KEY_TTL_MS && hit.principal) return hit.principal;
  const row = await env.DB.prepare('SELECT id, regions, scopes FROM api_keys WHERE hash = ? AND revoked_at IS NULL')
    .bind(hash)
    .first<{ id: string; regions: string; scopes: string }>();
  // Only valid keys are cached: a key created a moment ago must work at once everywhere.
  if (!row) return null;
  const principal: Principal = { kind: 'key', id: row.id, regions: JSON.parse(row.regions), scopes: JSON.parse(row.scopes) };
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(hash, { at: Date.now(), principal });
  return principal;
}

/** Every /v1 route needs a valid key; 401 otherwise. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const p = await resolvePrincipal(c.env, c.req.header('authorization'));
  if (!p) throw unauthorized();
  c.set('principal', p);
  await next();
});

export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw forbidden('this route needs the admin token');
}

/** A key acts only within its regions and scopes (403). */
export function requireAccess(p: Principal, scope: Scope, region?: string): void {
  if (p.kind === 'admin') return;
  if (!p.scopes.includes(scope)) throw forbidden(`this key lacks the '${scope}' scope`);
  if (region !== undefined && !p.regions.includes('*') && !p.regions.includes(region)) {
    throw forbidden(`this key is not scoped to region ${region}`);
  }
}

/** The regions a principal may see numbers of: null for all (the admin and '*' keys). */
export function regionScope(p: Principal): string[] | null {
  return p.kind === 'admin' || p.regions.includes('*') ? null : p.regions;
}
