import { createRouter } from '../../lib/openapi.ts';
import { createKey, revokeKey } from './routes.ts';
import { createKeyHandler, revokeKeyHandler } from './handlers.ts';

export const adminRouter = createRouter()
  .openapi(createKey, createKeyHandler)
  .openapi(revokeKey, revokeKeyHandler);
