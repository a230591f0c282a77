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

const errorOf = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

/** A route's error responses, each saying when it happens (401 reads the same on every route). */
export function errorsWhen<T extends Partial<Record<ErrorStatus, string>>>(when: T) {
  const out = { 401: errorResponses[401] } as { 401: typeof errorResponses[401] } & { [K in keyof T]: ReturnType<typeof errorOf> };
  for (const [status, description] of Object.entries(when)) (out as Record<string, unknown>)[status] = errorOf(description as string);
  return out;
}

/** The 403 of routes for the admin token only. */
export const ADMIN_ONLY = 'The key is not the admin token';
/** The 403 of region-scoped reads. */
export const READ_REGION = "The key lacks the 'read' scope or is not scoped to this region";
/** The 404 of routes under /v1/regions/{region}. */
export const UNKNOWN_REGION = 'Unknown region code';

export const bearer = [{ bearer: [] as string[] }];
