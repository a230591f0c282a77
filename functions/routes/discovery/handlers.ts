import type { AppRouteHandler } from '../../lib/openapi.ts';
import { regionScope, requireAccess } from '../../middleware/auth.ts';
import { globalDiscovery as global, regionDiscovery as regional } from '../../services/discovery.ts';
import type { z } from '@hono/zod-openapi';
import type { DiscoverySchema, globalDiscovery, regionDiscovery } from './routes.ts';

// The service's slices nest (`folded`); the schema spells that one level deep.
type Body = z.infer<typeof DiscoverySchema>;

export const regionDiscoveryHandler: AppRouteHandler<typeof regionDiscovery> = async (c) => {
  const { region } = c.req.valid('param');
  requireAccess(c.get('principal'), 'read', region);
  return c.json(await regional(c.env.DB, region, c.req.valid('query')) as Body, 200);
};

/** A region key pools only its own regions (never a number over regions outside its scope). */
export const globalDiscoveryHandler: AppRouteHandler<typeof globalDiscovery> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  return c.json(await global(c.env.DB, regionScope(p), c.req.valid('query')) as Body, 200);
};
