import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen, READ_REGION, RegionParam, UNKNOWN_REGION } from '../../schemas/common.ts';

const Entry = z.object({ code: z.string(), weight: z.number() });
export const OverrideBody = z.object({
  interventions: z.array(Entry).openapi({ description: '1–4 entries, known intervention codes, weight in (0, 1]' }),
}).openapi('MappingOverride');

const Params = z.object({
  region: RegionParam,
  signature: z.string().max(64).openapi({ param: { name: 'signature', in: 'path' }, example: 'FUS.SUPPRESS', description: 'family code (PER.MISS, not PER.MISS.audio) or slice-level code' }),
});

const MappingOut = z.object({
  region: z.string(), signature: z.string(), overridden: z.boolean(),
  interventions: z.array(Entry), previous: z.array(Entry),
}).openapi('RegionMapping');

const AuditEntry = z.object({
  id: z.number(), signature: z.string(), action: z.enum(['set', 'delete']), actor: z.string(), at: z.string(),
  old: z.array(Entry).nullable(), new: z.array(Entry).nullable(),
});

export const putOverride = createRoute({
  operationId: 'putOverride',
  method: 'put', path: '/v1/regions/{region}/interventions/{signature}', tags: ['interventions'], security: bearer,
  summary: 'Override one signature family\'s intervention mapping for a region (admin; audited)',
  request: { params: Params, body: { content: { 'application/json': { schema: OverrideBody, example: { interventions: [{ code: 'TRAIN.MODALITY_DROPOUT', weight: 0.6 }, { code: 'EVAL.PROBE', weight: 0.4 }] } } }, required: true } },
  responses: { 200: { description: 'The mapping now in force', content: { 'application/json': { schema: MappingOut } } }, ...errorsWhen({
    400: 'Not a family or slice-level code, an unknown intervention, a weight outside (0, 1], or not 1–4 entries (the message names the field)',
    403: ADMIN_ONLY, 404: UNKNOWN_REGION,
  }) },
});

export const deleteOverride = createRoute({
  operationId: 'deleteOverride',
  method: 'delete', path: '/v1/regions/{region}/interventions/{signature}', tags: ['interventions'], security: bearer,
  summary: 'Restore the taxonomy\'s default mapping for a region (admin; audited)',
  request: { params: Params },
  responses: { 200: { description: 'The default mapping, now in force', content: { 'application/json': { schema: MappingOut } } }, ...errorsWhen({ 403: ADMIN_ONLY, 404: 'Unknown region, or the region has no override for this signature' }) },
});

export const listAudit = createRoute({
  operationId: 'listOverrideAudit',
  method: 'get', path: '/v1/regions/{region}/interventions/audit', tags: ['interventions'], security: bearer,
  summary: 'Every change of the region\'s mappings: who, when, old → new',
  request: { params: z.object({ region: RegionParam }) },
  responses: { 200: { description: 'Oldest first', content: { 'application/json': { schema: z.object({ region: z.string(), entries: z.array(AuditEntry) }) } } }, ...errorsWhen({ 403: READ_REGION, 404: UNKNOWN_REGION }) },
});
