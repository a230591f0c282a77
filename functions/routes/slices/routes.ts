import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, ErrorSchema, READ_REGION, RegionParam, UNKNOWN_REGION } from '../../schemas/common.ts';

export const SliceSummarySchema = z.object({
  slice_id: z.string(),
  status: z.enum(['processing', 'probing', 'complete', 'failed']),
  items: z.number().int(), failures: z.number().int(), excluded: z.number().int(), pending: z.number().int(),
  by_signature: z.record(z.string(), z.number().int()),
  unprobeable: z.number().int().optional().openapi({ description: 'Items the GPU backend can never score (malformed features), when there are any; each item says why in `probe_error`. Those without a prediction have no outcome and stay in `pending`' }),
  error: z.string().optional(),
}).openapi('SliceSummary');

const SliceParams = z.object({
  region: RegionParam,
  slice_id: z.string().min(1).max(128).openapi({ param: { name: 'slice_id', in: 'path' } }),
});

const summary = (description: string) => ({ description, content: { 'application/json': { schema: SliceSummarySchema } } });
const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

// The body is documented by reference, not validated by the router: it is streamed and
// validated line by line with the same schemas (functions/ingest/validate.ts).
export const submitSlice = createRoute({
  operationId: 'submitSlice',
  method: 'post', path: '/v1/regions/{region}/slices', tags: ['slices'], security: bearer,
  summary: 'Submit an eval slice (JSON, or NDJSON: header line {slice_id, model} then one item per line)',
  description: 'Idempotent on slice_id: the same body again answers 200 with the same result; other content under the same slice_id is 409. NDJSON bodies above ASYNC_INGEST_BYTES with a content-length up to STREAM_INGEST_BYTES are validated, diagnosed and stored while they stream (201; a bad line undoes what was written). Larger bodies, or chunked ones, are validated while streamed to R2 and diagnosed asynchronously (202; poll the GET). A submission that meets another one of the same slice_id still streaming waits for it (up to STREAM_LEASE_SECONDS): 200 if it committed the same body, 409 for other content; if it is still in progress after that, 202.',
  request: {
    params: z.object({ region: RegionParam }),
    body: {
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/SliceSubmission' }, example: {
          slice_id: 'br-2026-11-eval', model: { id: 'avlm', version: '4', stage: 'alignment' },
          items: [{ item_id: 'v-1', surface: 'vod', language: 'pt-BR', policy: 'hate.slur', label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.12 }, probes: { audio_only: 0.91 } }],
        } },
        'application/x-ndjson': { schema: { type: 'string', description: 'line 1: {"slice_id", "model"}; then one EvalItem per line' }, example: '{"slice_id":"br-2026-11-eval","model":{"id":"avlm","version":"4","stage":"alignment"}}\n{"item_id":"v-1","surface":"vod","language":"pt-BR","policy":"hate.slur","label":{"violating":false},"prediction":{"score":0.08}}\n' },
      },
    },
  },
  responses: {
    201: summary('Diagnosed and stored'),
    200: summary('Already stored: the same result'),
    202: { description: 'Taken asynchronously (large or chunked body), or the slice_id is being processed', content: { 'application/json': { schema: z.object({ slice_id: z.string(), status: z.string() }) } } },
    409: err('Same slice_id with other content, or a model version registered with another stage'),
    413: err('Body too large'),
    415: err('Unsupported content type'),
    ...errorsWhen({
      400: 'A malformed header or item: the message names the field and, for NDJSON, the line; nothing is stored',
      403: "The key lacks the 'submit' scope or is not scoped to this region", 404: UNKNOWN_REGION,
    }),
  },
});

export const getSliceRoute = createRoute({
  operationId: 'getSlice',
  method: 'get', path: '/v1/regions/{region}/slices/{slice_id}', tags: ['slices'], security: bearer,
  summary: 'A slice\'s summary and status',
  request: { params: SliceParams },
  responses: { 200: summary('The summary'), ...errorsWhen({ 403: READ_REGION, 404: 'Unknown region, or no slice of this id there' }) },
});

export const ItemDiagnosisSchema = z.object({
  slice_id: z.string(),
  item_id: z.string(),
  outcome: z.enum(['TP', 'TN', 'FP', 'FN', 'pending']),
  failure: z.boolean(),
  excluded: z.boolean(),
  threshold: z.number(),
  primary: z.string().nullable(),
  secondary: z.array(z.object({ code: z.string(), evidence: z.record(z.string(), z.unknown()) })),
  item: z.record(z.string(), z.unknown()),
  probe_error: z.string().optional().openapi({ description: 'Why the GPU backend cannot score this item (also kept in `item.probe_error`)' }),
}).openapi('ItemDiagnosis');

export const getItemRoute = createRoute({
  operationId: 'getItem',
  method: 'get', path: '/v1/regions/{region}/slices/{slice_id}/items/{item_id}', tags: ['slices'], security: bearer,
  summary: 'One item\'s outcome, primary and secondary signatures with evidence, and the item as stored',
  request: { params: SliceParams.extend({ item_id: z.string().min(1).max(128).openapi({ param: { name: 'item_id', in: 'path' } }) }) },
  responses: { 200: { description: 'The diagnosis', content: { 'application/json': { schema: ItemDiagnosisSchema } } }, ...errorsWhen({ 403: READ_REGION, 404: 'Unknown region, slice or item (an item of a slice still processing is not there yet)' }) },
});

export const SliceListSchema = z.object({
  slices: z.array(z.object({
    slice_id: z.string(),
    model: z.object({ id: z.string(), version: z.string(), stage: z.string() }),
    created_at: z.string(),
    status: z.enum(['processing', 'probing', 'complete', 'failed']),
    items: z.number().int(), failures: z.number().int(), excluded: z.number().int(), pending: z.number().int(),
  })),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
}).openapi('SliceList');

export const listSlicesRoute = createRoute({
  operationId: 'listSlices',
  method: 'get', path: '/v1/regions/{region}/slices', tags: ['slices'], security: bearer,
  summary: 'A region\'s slices, newest first (optionally of one model or model version)',
  description: 'Ordered by `created_at`, newest first, then `slice_id` (descending): a walk with `next_cursor` never skips or repeats a slice. Counts as in each slice\'s summary.',
  request: {
    params: z.object({ region: RegionParam }),
    query: z.object({
      model: z.string().min(1).max(128).optional(),
      version: z.string().min(1).max(64).optional().openapi({ description: 'Needs `model`' }),
      limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: '1–1000, default 100' }),
      cursor: z.string().min(1).max(512).optional(),
    }),
  },
  responses: { 200: { description: 'A page of slices', content: { 'application/json': { schema: SliceListSchema } } }, ...errorsWhen({ 400: 'A bad query parameter (named in the message), or a cursor not made by this route', 403: READ_REGION, 404: UNKNOWN_REGION }) },
});
