import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorResponses } from '../../schemas/common.ts';

export const CreateKeyBody = z.object({
  regions: z.array(z.string().regex(/^([A-Z]{2}|\*)$/, "a region code or '*'")).min(1).max(300),
  scopes: z.array(z.enum(['submit', 'read', 'intervene'])).min(1).openapi({ description: 'submit slices, read results, record interventions' }),
  note: z.string().max(200).optional().openapi({ description: 'what the key is for (at most 200 characters); stored with the key' }),
}).openapi('CreateKey');

export const createKey = createRoute({
  operationId: 'createKey',
  method: 'post', path: '/v1/admin/keys', tags: ['admin'], security: bearer,
  summary: 'Create a region key (admin). The key is shown once; only its hash is stored.',
  request: { body: { content: { 'application/json': { schema: CreateKeyBody } }, required: true } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: z.object({ id: z.string(), key: z.string(), regions: z.array(z.string()), scopes: z.array(z.string()), note: z.string().nullable() }) } } },
    ...errorResponses,
  },
});

export const revokeKey = createRoute({
  operationId: 'revokeKey',
  method: 'delete', path: '/v1/admin/keys/{id}', tags: ['admin'], security: bearer,
  summary: 'Revoke a region key (admin)',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ id: z.string(), revoked: z.boolean() }) } } }, ...errorResponses },
});

const DeadLetter = z.object({
  id: z.number(), queue: z.string(), body: z.record(z.string(), z.unknown()), error: z.string(), attempts: z.number(),
  created_at: z.string(), replayed_at: z.string().nullable(),
}).openapi('DeadLetter');

export const listDeadLetters = createRoute({
  operationId: 'listDeadLetters',
  method: 'get', path: '/v1/admin/dead-letters', tags: ['admin'], security: bearer,
  summary: 'GPU backend jobs that failed repeatedly (admin)',
  request: { query: z.object({ all: z.enum(['true', 'false']).optional().openapi({ description: 'include replayed ones' }) }) },
  responses: { 200: { description: 'Newest first', content: { 'application/json': { schema: z.object({ dead_letters: z.array(DeadLetter) }) } } }, ...errorResponses },
});

export const replayDeadLetter = createRoute({
  operationId: 'replayDeadLetter',
  method: 'post', path: '/v1/admin/dead-letters/{id}/replay', tags: ['admin'], security: bearer,
  summary: 'Send a dead job to the queue again (admin)',
  request: { params: z.object({ id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: { description: 'Re-queued', content: { 'application/json': { schema: z.object({ id: z.number(), replayed: z.boolean() }) } } }, ...errorResponses },
});
