import { createRouter } from '../../lib/openapi.ts';
import { listRegionItems } from './routes.ts';
import { listRegionItemsHandler } from './handlers.ts';

export const itemsRouter = createRouter().openapi(listRegionItems, listRegionItemsHandler);
