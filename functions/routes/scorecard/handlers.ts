import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess } from '../../middleware/auth.ts';
import { buildScorecard } from '../../services/scorecard.ts';
import type { getScorecard } from './routes.ts';

export const getScorecardHandler: AppRouteHandler<typeof getScorecard> = async (c) => {
  const { region } = c.req.valid('param');
  const { model, version } = c.req.valid('query');
  requireAccess(c.get('principal'), 'read', region);
  return c.json(await buildScorecard(c.env.DB, region, model, version), 200);
};
