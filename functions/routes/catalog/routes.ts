import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, RateSchema } from '../../schemas/common.ts';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });

export const RegionSchema = z.object({ code: z.string(), name: z.string(), languages: z.array(z.string()) }).openapi('Region');
export const PolicySchema = z.object({ code: z.string(), name: z.string(), severity: z.number(), threshold: z.number() }).openapi('Policy');
const MappingSchema = z.object({ code: z.string(), weight: z.number(), rationale: z.string().optional() });
export const InterventionSchema = z.object({ code: z.string(), lever: z.string(), stage: z.string().nullable(), cost: z.string(), cost_value: z.number(), description: z.string() }).openapi('Intervention');
export const SignatureSchema = z.object({
  code: z.string(), level: z.enum(['item', 'slice']), description: z.string(), rule: z.string(),
  interventions: z.array(MappingSchema),
}).openapi('Signature');

export const listRegions = createRoute({
  operationId: 'listRegions',
  method: 'get', path: '/v1/regions', tags: ['catalogue'], security: bearer, summary: 'Seeded regions (ISO 3166-1 alpha-2) with their languages',
  responses: { 200: json(z.object({ regions: z.array(RegionSchema) })), ...errorsWhen({}) },
});

export const listPolicies = createRoute({
  operationId: 'listPolicies',
  method: 'get', path: '/v1/policies', tags: ['catalogue'], security: bearer,
  summary: 'Moderation policies, in the order of the model\'s score outputs',
  responses: { 200: json(z.object({ policies: z.array(PolicySchema) })), ...errorsWhen({}) },
});

export const getTaxonomy = createRoute({
  operationId: 'getTaxonomy',
  method: 'get', path: '/v1/taxonomy', tags: ['catalogue'], security: bearer,
  summary: 'The taxonomy version: signatures with their default interventions, and the intervention space',
  responses: { 200: json(z.object({ version: z.string(), signatures: z.array(SignatureSchema), interventions: z.array(InterventionSchema) })), ...errorsWhen({}) },
});

export const getSignature = createRoute({
  operationId: 'getSignature',
  method: 'get', path: '/v1/signatures/{code}', tags: ['catalogue'], security: bearer,
  summary: 'One signature (full code such as PER.MISS.audio, or a family), its interventions, and with ?region= its rate there',
  request: {
    params: z.object({ code: z.string().max(64).openapi({ example: 'FUS.SUPPRESS.audio' }) }),
    query: z.object({
      region: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code').optional(),
      model: z.string().max(128).optional(),
      version: z.string().max(64).optional(),
    }),
  },
  responses: {
    200: json(SignatureSchema.extend({
      family: z.string(),
      overridden: z.boolean(),
      region: z.object({
        region: z.string(), model: z.string().nullable(), version: z.string().nullable(), count: z.number(), rate: RateSchema,
      }).optional(),
    })),
    ...errorsWhen({
      400: 'model or version without region, one of model and version without the other, or a malformed region (the message names it)',
      403: "With region: the key lacks the 'read' scope or is not scoped to that region",
      404: 'Unknown signature code, or (with region) an unknown region',
    }),
  },
});
