import { z } from '@hono/zod-openapi';

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
}).openapi('Error');

export const RateSchema = z.object({
  value: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  n: z.number().int(),
  too_few: z.boolean().openapi({ description: 'n < 30: shown, never ranked or tested' }),
}).openapi('Rate');

export const RegionParam = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in upper case')
  .openapi({ param: { name: 'region', in: 'path' }, example: 'BR' });

export const errorResponses = {
  400: { description: 'Bad input; the message names the field (and line)', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'Missing or wrong key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Key outside its regions or scopes', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const bearer = [{ bearer: [] as string[] }];
