import { createRouter } from '../../lib/openapi.ts';
import { getItemRoute, getSliceRoute, submitSlice } from './routes.ts';
import { getItemHandler, getSliceHandler, submitSliceHandler } from './handlers.ts';

export const slicesRouter = createRouter()
  .openapi(submitSlice, submitSliceHandler)
  .openapi(getSliceRoute, getSliceHandler)
  .openapi(getItemRoute, getItemHandler);
