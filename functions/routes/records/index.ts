import { createRouter } from '../../lib/openapi.ts';
import { createRecord, getAttribution, getRecord, getVersionAttribution, listRecords } from './routes.ts';
import { createRecordHandler, getAttributionHandler, getRecordHandler, getVersionAttributionHandler, listRecordsHandler } from './handlers.ts';

export const recordsRouter = createRouter()
  .openapi(createRecord, createRecordHandler)
  .openapi(listRecords, listRecordsHandler)
  .openapi(getRecord, getRecordHandler)
  .openapi(getAttribution, getAttributionHandler)
  .openapi(getVersionAttribution, getVersionAttributionHandler);
