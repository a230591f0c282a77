import { createRouter } from '../../lib/openapi.ts';
import { getItemRoute, getSliceRoute, listSlicesRoute, submitSlice } from './routes.ts';
import { getItemHandler, getSliceHandler, listSlicesHandler, submitSliceHandler } from './handlers.ts';

export const slicesRouter = createRouter()
  .openapi(submitSlice, submitSliceHandler)
  .openapi(listSlicesRoute, listSlicesHandler)
  .openapi(getSliceRoute, getSliceHandler)
  .openapi(getItemRoute, getItemHandler);
