import { createRouter } from '../../lib/openapi.ts';
import { getScorecard } from './routes.ts';
import { getScorecardHandler } from './handlers.ts';

export const scorecardRouter = createRouter().openapi(getScorecard, getScorecardHandler);
