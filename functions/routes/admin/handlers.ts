import type { AppRouteHandler } from '../../lib/openapi.ts';
import { forgetKey, requireAdmin } from '../../middleware/auth.ts';
import { ApiError, notFound } from '../../lib/errors.ts';
import { createKey as newKey, listKeys as keys, revokeKey as revoke } from '../../services/keys.ts';
import { listDeadLetters as deadLetters, replayDeadLetter as replay } from '../../services/dead-letters.ts';
import { maintainItemStore } from '../../services/item-store.ts';
import type { createKey, listDeadLetters, listKeys, replayDeadLetter, revokeKey, syncPartitions } from './routes.ts';

export const createKeyHandler: AppRouteHandler<typeof createKey> = async (c) => {
  requireAdmin(c.get('principal'));
  const body = c.req.valid('json');
  const regions = [...new Set(body.regions)].sort();
  if (regions.includes('*') && regions.length > 1) throw new ApiError(400, 'invalid_request', "regions: '*' stands alone", { field: 'regions' });
  const scopes = [...new Set(body.scopes)].sort();
  const { id, key, note } = await newKey(c.env.DB, regions, scopes, body.note ?? null);
  return c.json({ id, key, regions, scopes, note }, 201);
};

export const revokeKeyHandler: AppRouteHandler<typeof revokeKey> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  if (!(await revoke(c.env.DB, id))) throw notFound(`key ${id} not found or already revoked`);
  forgetKey(id);
  return c.json({ id, revoked: true }, 200);
};

export const listKeysHandler: AppRouteHandler<typeof listKeys> = async (c) => {
  requireAdmin(c.get('principal'));
  return c.json({ keys: await keys(c.env.DB, c.req.valid('query').all === 'true') }, 200);
};

export const listDeadLettersHandler: AppRouteHandler<typeof listDeadLetters> = async (c) => {
  requireAdmin(c.get('principal'));
  const all = c.req.valid('query').all === 'true';
  const results = await deadLetters(c.env.DB, all);
  return c.json({ dead_letters: results.map((r) => ({ ...r, body: JSON.parse(r.body) })) }, 200);
};

export const replayDeadLetterHandler: AppRouteHandler<typeof replayDeadLetter> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  await replay(c.env, id);
  return c.json({ id, replayed: true }, 200);
};

export const syncPartitionsHandler: AppRouteHandler<typeof syncPartitions> = async (c) => {
  requireAdmin(c.get('principal'));
  return c.json(await maintainItemStore(c.env, c.req.valid('query').max_items), 200);
};
