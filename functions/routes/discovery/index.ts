import { createRouter } from '../../lib/openapi.ts';
import { globalDiscovery, regionDiscovery } from './routes.ts';
import { globalDiscoveryHandler, regionDiscoveryHandler } from './handlers.ts';

export const discoveryRouter = createRouter()
  .openapi(regionDiscovery, regionDiscoveryHandler)
  .openapi(globalDiscovery, globalDiscoveryHandler);
