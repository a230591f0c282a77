import { createRouter } from '../../lib/openapi.ts';
import { compare, gate, lifecycle } from './routes.ts';
import { compareHandler, gateHandler, lifecycleHandler } from './handlers.ts';

export const versionsRouter = createRouter()
  .openapi(compare, compareHandler)
  .openapi(lifecycle, lifecycleHandler)
  .openapi(gate, gateHandler);
