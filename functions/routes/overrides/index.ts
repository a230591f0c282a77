import { createRouter } from '../../lib/openapi.ts';
import { deleteOverride, listAudit, putOverride } from './routes.ts';
import { deleteOverrideHandler, listAuditHandler, putOverrideHandler } from './handlers.ts';

// The audit route is registered first so that 'audit' is never read as a signature code.
export const overridesRouter = createRouter()
  .openapi(listAudit, listAuditHandler)
  .openapi(putOverride, putOverrideHandler)
  .openapi(deleteOverride, deleteOverrideHandler);
