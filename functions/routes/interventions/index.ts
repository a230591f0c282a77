import { createRouter } from '../../lib/openapi.ts';
import { createRecord, deleteRecord, getAttribution, getRecord, getVersionAttribution, listRecordAudit, listRecords } from './routes.ts';
import {
  createRecordHandler, deleteRecordHandler, getAttributionHandler, getRecordHandler, getVersionAttributionHandler, listRecordAuditHandler, listRecordsHandler,
} from './handlers.ts';

// The audit route is registered before /{id} so that 'audit' is never read as a record id.
export const interventionsRouter = createRouter()
  .openapi(createRecord, createRecordHandler)
  .openapi(listRecords, listRecordsHandler)
  .openapi(listRecordAudit, listRecordAuditHandler)
  .openapi(getRecord, getRecordHandler)
  .openapi(deleteRecord, deleteRecordHandler)
  .openapi(getAttribution, getAttributionHandler)
  .openapi(getVersionAttribution, getVersionAttributionHandler);
