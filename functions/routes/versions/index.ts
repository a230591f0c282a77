import { createRouter } from '../../lib/openapi.ts';
import { compare, lifecycle } from './routes.ts';
import { compareHandler, lifecycleHandler } from './handlers.ts';

export const versionsRouter = createRouter()
  .openapi(compare, compareHandler)
  .openapi(lifecycle, lifecycleHandler);
