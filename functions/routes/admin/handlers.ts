import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { forgetKey, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { nowIso } from '../../lib/db.ts';
import { sendProbeMessages } from '../../store/probe-jobs.ts';
import type { ProbeMessage } from '../../env.ts';
import type { createKey, listDeadLetters, replayDeadLetter, revokeKey } from './routes.ts';

export const createKeyHandler: RouteHandler<typeof createKey, AppEnv> = async (c) => {
  requireAdmin(c.get('principal'));
  const body = c.req.valid('json');
  const regions = [...new Set(body.regions)].sort();
  if (regions.includes('*') && regions.length > 1) throw new ApiError(400, 'invalid_request', "regions: '*' stands alone", { field: 'regions' });
  if (!regions.includes('*')) {
    const { results } = await c.env.DB.prepare(`SELECT code FROM regions WHERE code IN (${regions.map(() => '?').join(',')})`)
      .bind(...regions).all<{ code: string }>();
    const known = new Set(results.map((r) => r.code));
    const unknown = regions.filter((r) => !known.has(r));
    if (unknown.length) throw new ApiError(400, 'invalid_request', `regions: unknown region(s) ${unknown.join(', ')}`, { field: 'regions' });
  }
  const scopes = [...new Set(body.scopes)].sort();
  const id = `key_${randomToken(9)}`;
  const key = `avlm_${randomToken(32)}`;
  await c.env.DB.prepare('INSERT INTO api_keys (id, hash, regions, scopes, created_at) VALUES (?, ?, ?, ?, ?)')
    .bind(id, await sha256Hex(key), JSON.stringify(regions), JSON.stringify(scopes), nowIso()).run();
  return c.json({ id, key, regions, scopes }, 201);
};

export const revokeKeyHandler: RouteHandler<typeof revokeKey, AppEnv> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  const r = await c.env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').bind(nowIso(), id).run();
  if (r.meta.changes !== 1) throw notFound(`key ${id} not found or already revoked`);
  forgetKey(id);
  return c.json({ id, revoked: true }, 200);
};

type DeadRow = { id: number; queue: string; body: string; error: string; attempts: number; created_at: string; replayed_at: string | null };

export const listDeadLettersHandler: RouteHandler<typeof listDeadLetters, AppEnv> = async (c) => {
  requireAdmin(c.get('principal'));
  const all = c.req.valid('query').all === 'true';
  const { results } = await c.env.DB.prepare(`SELECT * FROM dead_letters${all ? '' : ' WHERE replayed_at IS NULL'} ORDER BY id DESC LIMIT 500`).all<DeadRow>();
  return c.json({ dead_letters: results.map((r) => ({ ...r, body: JSON.parse(r.body) })) }, 200);
};

export const replayDeadLetterHandler: RouteHandler<typeof replayDeadLetter, AppEnv> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  const row = await c.env.DB.prepare('SELECT * FROM dead_letters WHERE id = ?').bind(id).first<DeadRow>();
  if (!row) throw notFound(`id: no dead letter ${id}`);
  if (row.replayed_at) throw new ApiError(409, 'conflict', `id: dead letter ${id} was already replayed at ${row.replayed_at}`);
  const body = JSON.parse(row.body) as ProbeMessage;
  const now = nowIso();
  await c.env.DB.batch([
    c.env.DB.prepare(`UPDATE probe_jobs SET status = 'queued', attempts = 0, error = NULL, updated_at = ? WHERE slice_pk = ? AND batch = ? AND status = 'dead'`)
      .bind(now, body.slicePk, body.batch),
    c.env.DB.prepare('UPDATE dead_letters SET replayed_at = ? WHERE id = ?').bind(now, id),
  ]);
  await sendProbeMessages(c.env, [body]);
  return c.json({ id, replayed: true }, 200);
};
