import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen } from '../../schemas/common.ts';

export const CreateKeyBody = z.object({
  regions: z.array(z.string().regex(/^([A-Z]{2}|\*)$/, "a region code or '*'")).min(1).max(300),
  scopes: z.array(z.enum(['submit', 'read', 'intervene'])).min(1).openapi({ description: 'submit slices, read results, record interventions' }),
  note: z.string().max(200).optional().openapi({ description: 'what the key is for (at most 200 characters); stored with the key' }),
}).openapi('CreateKey');

export const createKey = createRoute({
  operationId: 'createKey',
  method: 'post', path: '/v1/admin/keys', tags: ['admin'], security: bearer,
  summary: 'Create a region key (admin). The key is shown once; only its hash is stored.',
  request: { body: { content: { 'application/json': { schema: CreateKeyBody, example: { regions: ['BR', 'MX'], scopes: ['submit', 'read'], note: 'Brazil eval pipeline' } } }, required: true } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: z.object({ id: z.string(), key: z.string(), regions: z.array(z.string()), scopes: z.array(z.string()), note: z.string().nullable() }) } } },
    ...errorsWhen({ 400: "A region code that is not seeded, '*' beside other regions, an unknown scope or a malformed body (the message names the field)", 403: ADMIN_ONLY }),
  },
});

export const revokeKey = createRoute({
  operationId: 'revokeKey',
  method: 'delete', path: '/v1/admin/keys/{id}', tags: ['admin'], security: bearer,
  summary: 'Revoke a region key (admin)',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ id: z.string(), revoked: z.boolean() }) } } }, ...errorsWhen({ 403: ADMIN_ONLY, 404: 'No such key, or it was revoked already' }) },
});

const KeyInfo = z.object({
  id: z.string(), regions: z.array(z.string()), scopes: z.array(z.string()), note: z.string().nullable(), created_at: z.string(),
  revoked_at: z.string().nullable().openapi({ description: 'null while the key works' }),
}).openapi('KeyInfo');

export const listKeys = createRoute({
  operationId: 'listKeys',
  method: 'get', path: '/v1/admin/keys', tags: ['admin'], security: bearer,
  summary: 'Region keys (admin): id, regions, scopes, note and dates — never the key or its hash',
  request: { query: z.object({ all: z.enum(['true', 'false']).optional().openapi({ description: 'include revoked keys' }) }) },
  responses: { 200: { description: 'Newest first', content: { 'application/json': { schema: z.object({ keys: z.array(KeyInfo) }) } } }, ...errorsWhen({ 400: 'all is not true or false', 403: ADMIN_ONLY }) },
});

const DeadLetter = z.object({
  id: z.number(), queue: z.string(), body: z.record(z.string(), z.unknown()), error: z.string(), attempts: z.number(),
  created_at: z.string(), replayed_at: z.string().nullable(),
}).openapi('DeadLetter');

export const listDeadLetters = createRoute({
  operationId: 'listDeadLetters',
  method: 'get', path: '/v1/admin/dead-letters', tags: ['admin'], security: bearer,
  summary: 'GPU backend jobs that failed repeatedly and webhook deliveries given up on (queue: probe | notify) (admin)',
  request: { query: z.object({ all: z.enum(['true', 'false']).optional().openapi({ description: 'include replayed ones' }) }) },
  responses: { 200: { description: 'Newest first', content: { 'application/json': { schema: z.object({ dead_letters: z.array(DeadLetter) }) } } }, ...errorsWhen({ 400: 'all is not true or false', 403: ADMIN_ONLY }) },
});

export const replayDeadLetter = createRoute({
  operationId: 'replayDeadLetter',
  method: 'post', path: '/v1/admin/dead-letters/{id}/replay', tags: ['admin'], security: bearer,
  summary: 'Send a dead job or webhook delivery to its queue again (admin)',
  request: { params: z.object({ id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: { description: 'Re-queued', content: { 'application/json': { schema: z.object({ id: z.number(), replayed: z.boolean() }) } } }, ...errorsWhen({ 400: 'id is not a number', 403: ADMIN_ONLY, 404: 'No dead letter with this id', 409: 'The dead letter was replayed already' }) },
});

export const syncPartitions = createRoute({
  operationId: 'syncPartitions',
  method: 'post', path: '/v1/admin/partitions/sync', tags: ['admin'], security: bearer,
  summary: 'Move items into the item partitions (admin): the migration, resumable',
  description: 'Syncs, oldest first, every committed slice not yet in its region × version item partition or edited since its last sync, until about max_items items are synced (at least one slice); then deletes D1\'s copy of the items of complete slices that are wholly in their partition and unedited for 15 minutes since (D1 keeps only recent items: reads fall back to the partition). Idempotent: call again until remaining is 0; the cron does the same every run.',
  request: { query: z.object({ max_items: z.coerce.number().int().min(1).max(2_000_000).default(200_000) }) },
  responses: {
    200: {
      description: 'What this call synced, and how many slices are still to sync',
      content: { 'application/json': { schema: z.object({
        slices: z.number().int(), items: z.number().int(),
        failed: z.number().int().openapi({ description: 'slices whose sync failed this time (logged; retried by the next call)' }),
        remaining: z.number().int().openapi({ description: 'slices still to sync (failed ones included), counted up to 1,000' }),
        evicted: z.object({
          slices: z.number().int().openapi({ description: 'slices whose items D1 no longer holds after this call (their partition does)' }),
          items: z.number().int(),
          skipped: z.number().int().openapi({ description: 'candidates left in D1: partition short of the slice (logged) or edited meanwhile' }),
        }),
      }) } },
    },
    ...errorsWhen({ 400: 'max_items is not an integer in 1–2,000,000', 403: ADMIN_ONLY }),
  },
});
