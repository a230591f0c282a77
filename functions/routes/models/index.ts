import { createRouter } from '../../lib/openapi.ts';
import { listModelsRoute } from './routes.ts';
import { listModelsHandler } from './handlers.ts';

export const modelsRouter = createRouter()
  .openapi(listModelsRoute, listModelsHandler);
