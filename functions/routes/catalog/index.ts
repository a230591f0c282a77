import { createRouter } from '../../lib/openapi.ts';
import { getSignature, getTaxonomy, listPolicies, listRegions } from './routes.ts';
import { getSignatureHandler, getTaxonomyHandler, listPoliciesHandler, listRegionsHandler } from './handlers.ts';

export const catalogRouter = createRouter()
  .openapi(listRegions, listRegionsHandler)
  .openapi(listPolicies, listPoliciesHandler)
  .openapi(getTaxonomy, getTaxonomyHandler)
  .openapi(getSignature, getSignatureHandler);
