import { createRouter } from '../../lib/openapi.ts';
import { annotatorQuality, runConsensus, vendorQuality } from './routes.ts';
import { annotatorQualityHandler, runConsensusHandler, vendorQualityHandler } from './handlers.ts';

export const qualityRouter = createRouter()
  .openapi(vendorQuality, vendorQualityHandler)
  .openapi(annotatorQuality, annotatorQualityHandler)
  .openapi(runConsensus, runConsensusHandler);
