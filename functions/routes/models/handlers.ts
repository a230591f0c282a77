import type { AppRouteHandler } from '../../lib/openapi.ts';
import { regionScope, requireAccess } from '../../middleware/auth.ts';
import { listModels } from '../../services/models.ts';
import type { listModelsRoute } from './routes.ts';

export const listModelsHandler: AppRouteHandler<typeof listModelsRoute> = async (c) => {
  const p = c.get('principal');
  requireAccess(p, 'read');
  return c.json({ models: await listModels(c.env.DB, regionScope(p)) }, 200);
};
