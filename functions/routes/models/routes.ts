import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen } from '../../schemas/common.ts';

export const ModelsSchema = z.object({
  models: z.array(z.object({
    id: z.string(),
    versions: z.array(z.object({
      version: z.string(), stage: z.string(), first_slice_at: z.string(),
      regions: z.number().int().openapi({ description: 'Regions with a committed slice of this version (among the key\'s regions)' }),
      items: z.number().int().openapi({ description: 'Items of those slices' }),
    })),
  })),
}).openapi('Models');

export const listModelsRoute = createRoute({
  operationId: 'listModels',
  method: 'get', path: '/v1/models', tags: ['versions'], security: bearer,
  summary: 'Every model and its versions with their stage, first slice, regions and items',
  description: 'Models by id, versions most recent first slice first. A region key sees its own regions only: `regions` and `items` are counted over them, and a version without a committed slice there is left out.',
  responses: { 200: { description: 'The models', content: { 'application/json': { schema: ModelsSchema } } }, ...errorsWhen({ 403: "The key lacks the 'read' scope" }) },
});
