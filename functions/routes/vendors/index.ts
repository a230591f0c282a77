import { createRouter } from '../../lib/openapi.ts';
import { createVendor, getVendor, listVendors, rotateVendor } from './routes.ts';
import { createVendorHandler, getVendorHandler, listVendorsHandler, rotateVendorHandler } from './handlers.ts';

export const vendorsRouter = createRouter()
  .openapi(listVendors, listVendorsHandler)
  .openapi(createVendor, createVendorHandler)
  .openapi(getVendor, getVendorHandler)
  .openapi(rotateVendor, rotateVendorHandler);
