import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen, RateSchema } from '../../schemas/common.ts';

export const RecordBody = z.object({
  intervention: z.string().max(64).openapi({ example: 'TRAIN.MODALITY_DROPOUT' }),
  model: z.object({ id: z.string().min(1).max(128), version: z.string().min(1).max(64) }),
  targets: z.object({
    signatures: z.array(z.string().max(64)).min(1).max(50).openapi({ description: 'item-level codes or families (PER.MISS)' }),
    regions: z.array(z.string().regex(/^([A-Z]{2}|\*)$/, "a region code or '*'")).min(1).max(300),
    policies: z.array(z.string()).max(50).optional(),
  }),
  note: z.string().max(2000).optional(),
  applied_at: z.iso.datetime({ offset: true }).openapi({ example: '2026-11-01T00:00:00Z' }),
}).openapi('InterventionRecordInput');

export const RecordSchema = z.object({
  id: z.string(), intervention: z.string(), model: z.object({ id: z.string(), version: z.string() }),
  targets: z.object({ signatures: z.array(z.string()), regions: z.array(z.string()), policies: z.array(z.string()).optional() }),
  note: z.string().nullable(), applied_at: z.string(), created_by: z.string(), created_at: z.string(),
}).openapi('InterventionRecord');

const Side = z.object({ count: z.number(), n: z.number(), rate: RateSchema });
const Interval = z.object({ value: z.number(), low: z.number(), high: z.number() });
const Cell = {
  region: z.string(), signature: z.string(), before: Side, after: Side, diff: Interval.nullable(),
  z: z.number().nullable(), p: z.number().nullable(), q: z.number().nullable(),
};
export const AttributionSchema = z.object({
  intervention: RecordSchema, before: z.string().nullable(), after: z.string(),
  targeted: z.array(z.object({ ...Cell, verdict: z.enum(['effective', 'no_effect', 'harmful', 'too_few']), recovered: z.number(), shared_with: z.array(z.string()) })),
  collateral: z.array(z.object({ ...Cell, verdict: z.enum(['improved', 'regressed']) })),
  summary: z.object({
    recovered: z.number().nullable(), overall_gain: z.number().nullable(), attributable_share: z.number().nullable(),
    weakly_attributable: z.boolean().nullable(), note: z.string().optional(),
  }),
}).openapi('Attribution');

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const createRecord = createRoute({
  operationId: 'createIntervention',
  method: 'post', path: '/v1/interventions', tags: ['interventions'], security: bearer,
  summary: 'Record an intervention applied in a model version (admin, or a key with the intervene scope)',
  request: { body: { content: { 'application/json': { schema: RecordBody, example: {
    intervention: 'TRAIN.MODALITY_DROPOUT', model: { id: 'avlm', version: '4' }, targets: { signatures: ['FUS.SUPPRESS'], regions: ['BR', 'MX'] },
    note: 'modality dropout 0.3 in the alignment run', applied_at: '2026-11-01T00:00:00Z',
  } } }, required: true } },
  responses: { 201: json(RecordSchema, 'Recorded'), ...errorsWhen({
    400: "Unknown intervention, signature, policy or region, '*' beside other regions, a model version without slices, or a malformed body (the message names the field)",
    403: "The key lacks the 'intervene' scope, or targets a region outside its own",
  }) },
});

export const listRecords = createRoute({
  operationId: 'listInterventions',
  method: 'get', path: '/v1/interventions', tags: ['interventions'], security: bearer,
  summary: 'Recorded interventions (optionally of one model version)',
  request: { query: z.object({ model: z.string().optional(), version: z.string().optional() }) },
  responses: { 200: json(z.object({ interventions: z.array(RecordSchema) })), ...errorsWhen({ 403: "The key lacks the 'read' scope" }) },
});

export const getRecord = createRoute({
  operationId: 'getIntervention',
  method: 'get', path: '/v1/interventions/{id}', tags: ['interventions'], security: bearer,
  summary: 'One recorded intervention', request: { params: IdParam },
  responses: { 200: json(RecordSchema), ...errorsWhen({ 403: "The key lacks the 'read' scope", 404: 'No such record, or none this key may read (a region key reads records targeting its regions)' }) },
});

export const getAttribution = createRoute({
  operationId: 'getInterventionAttribution',
  method: 'get', path: '/v1/interventions/{id}/attribution', tags: ['interventions'], security: bearer,
  summary: 'Did it work? Targeted cells before (predecessor) vs after, with verdicts; collateral moves elsewhere',
  description: 'Where several interventions of the same version target the same (region, signature) cell, each is credited an equal share of that cell\'s recovery (shared_with names the others). A region key\'s report (cells, collateral, q, overall gain) covers its own regions only.',
  request: { params: IdParam },
  responses: { 200: json(AttributionSchema), ...errorsWhen({ 403: "The key lacks the 'read' scope", 404: 'No such record, or none this key may read' }) },
});

export const getVersionAttribution = createRoute({
  operationId: 'getVersionAttribution',
  method: 'get', path: '/v1/models/{model}/versions/{version}/attribution', tags: ['interventions'], security: bearer,
  summary: 'The attribution reports of every intervention recorded for a model version',
  request: { params: z.object({ model: z.string().openapi({ param: { name: 'model', in: 'path' } }), version: z.string().openapi({ param: { name: 'version', in: 'path' } }) }) },
  responses: { 200: json(z.object({ model: z.string(), version: z.string(), reports: z.array(AttributionSchema) })), ...errorsWhen({ 403: "The key lacks the 'read' scope", 404: 'The model has no such version with slices' }) },
});

export const deleteRecord = createRoute({
  operationId: 'deleteIntervention',
  method: 'delete', path: '/v1/interventions/{id}', tags: ['interventions'], security: bearer,
  summary: 'Delete a mistaken intervention record (admin; audited): attribution no longer counts it',
  request: { params: IdParam },
  responses: { 200: json(z.object({ id: z.string(), deleted: z.boolean(), record: RecordSchema }), 'Deleted; the record as it was'), ...errorsWhen({ 403: ADMIN_ONLY, 404: 'No such record (or deleted already)' }) },
});

const RecordAuditEntry = z.object({
  id: z.number(), record_id: z.string(), action: z.enum(['delete']), actor: z.string(), at: z.string(), record: RecordSchema,
});

export const listRecordAudit = createRoute({
  operationId: 'listInterventionAudit',
  method: 'get', path: '/v1/interventions/audit', tags: ['interventions'], security: bearer,
  summary: 'Deleted intervention records (admin): who deleted which record when, and the record as it was',
  responses: { 200: json(z.object({ entries: z.array(RecordAuditEntry) }), 'Oldest first'), ...errorsWhen({ 403: ADMIN_ONLY }) },
});
