import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, READ_REGION, RegionParam, UNKNOWN_REGION } from '../../schemas/common.ts';

const Outcome = z.enum(['TP', 'TN', 'FP', 'FN', 'pending']);

export const CellItemSchema = z.object({
  slice_id: z.string(), item_id: z.string(), policy: z.string(), outcome: Outcome,
  primary: z.string().nullable().openapi({ description: 'primary signature (failures only)' }),
  score: z.number().nullable(), threshold: z.number().openapi({ description: 'the effective threshold' }),
  language: z.string().nullable(), surface: z.string(),
}).openapi('CellItem');

export const CellItemsSchema = z.object({
  total: z.number().int().openapi({ description: 'every item of the cell (exact); for a (policy, signature) cell the scorecard\'s count of it' }),
  items: z.array(CellItemSchema),
  next_cursor: z.string().nullable().openapi({ description: 'pass as `cursor` for the next page; null on the last' }),
  slices_catching_up: z.number().int().openapi({ description: 'committed slices of the region × version whose items are not in the item partition yet (copied within moments of a commit; a large slice takes seconds): while above 0, `total` leaves their items out and may be below the scorecard\'s count' }),
}).openapi('CellItems');

export const ItemsQuerySchema = z.object({
  model: z.string().min(1).max(128), version: z.string().min(1).max(64),
  policy: z.string().min(1).max(64).optional(),
  signature: z.string().min(1).max(64).optional().openapi({ description: 'a primary signature code, or a family (FUS.SUPPRESS matches FUS.SUPPRESS.audio)' }),
  outcome: Outcome.optional(),
  slice_id: z.string().min(1).max(128).optional(),
  population: z.enum(['discovery']).optional().openapi({ description: 'discovery: only the items slice discovery counts (an outcome, LBL.AMBIG left out), as in a slice\'s items_url' }),
  // The discovery features (SPEC §11) a slice's items_url carries; checked by services/item-filters.ts.
  surface: z.string().optional().openapi({ description: 'a discovery feature (SPEC §11), as discovery reads it; so are the next four and `attr.<key>`' }),
  language: z.string().optional().openapi({ description: 'primary subtag in lower case: `pt` matches pt-BR and pt-PT' }),
  label_source: z.string().optional(),
  score_band: z.string().optional().openapi({ description: 'one of [0,0.2) [0.2,0.4) [0.4,0.6) [0.6,0.8) [0.8,1]' }),
  evidence: z.string().optional().openapi({ description: "the label's evidence sorted and joined by + (`none`: a label without any)" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(2048).optional(),
  format: z.enum(['csv', 'ndjson']).optional().openapi({ description: 'export every matching item, streamed (no page limit, no cursor)' }),
});

export const listRegionItems = createRoute({
  operationId: 'listRegionItems',
  method: 'get', path: '/v1/regions/{region}/items', tags: ['items'], security: bearer,
  summary: 'The items of a cell (region × model version × policy × signature × outcome × slice): a page and the exact total, or all of them as CSV/NDJSON',
  description: 'Order: slice created_at, then slice_id, then item_id; pages never skip or repeat an item. Read from the item partition of the region × version, which follows committed changes within moments (a queue message per change). An unknown model or version has no items (total 0). CSV columns: slice_id,item_id,policy,outcome,primary,secondary,score,threshold,language,surface (secondary codes joined by |); NDJSON: one item per line, secondary as an array. Also `attr.<key>=value` (at most 4): items whose attribute has that value (strings, booleans as true/false, integers); an item without the feature never matches.',
  request: { params: z.object({ region: RegionParam }), query: ItemsQuerySchema },
  responses: {
    200: {
      description: 'A page of the cell, or the export',
      content: {
        'application/json': { schema: CellItemsSchema },
        'text/csv': { schema: z.string() },
        'application/x-ndjson': { schema: z.string() },
      },
    },
    ...errorsWhen({ 400: 'A bad filter (named in the message): model or version missing, an unknown outcome, limit outside 1–1000, a cursor not made by this route, a bad feature filter', 403: READ_REGION, 404: UNKNOWN_REGION }),
  },
});
