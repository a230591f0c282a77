import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorResponses, RegionParam } from '../../schemas/common.ts';

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
  request: { params: Params, body: { content: { 'application/json': { schema: OverrideBody } }, required: true } },
  responses: { 200: { description: 'The mapping now in force', content: { 'application/json': { schema: MappingOut } } }, ...errorResponses },
});

export const deleteOverride = createRoute({
  operationId: 'deleteOverride',
  method: 'delete', path: '/v1/regions/{region}/interventions/{signature}', tags: ['interventions'], security: bearer,
  summary: 'Restore the taxonomy\'s default mapping for a region (admin; audited)',
  request: { params: Params },
  responses: { 200: { description: 'The default mapping, now in force', content: { 'application/json': { schema: MappingOut } } }, ...errorResponses },
});

export const listAudit = createRoute({
  operationId: 'listOverrideAudit',
  method: 'get', path: '/v1/regions/{region}/interventions/audit', tags: ['interventions'], security: bearer,
  summary: 'Every change of the region\'s mappings: who, when, old → new',
  request: { params: z.object({ region: RegionParam }) },
  responses: { 200: { description: 'Oldest first', content: { 'application/json': { schema: z.object({ region: z.string(), entries: z.array(AuditEntry) }) } } }, ...errorResponses },
});
