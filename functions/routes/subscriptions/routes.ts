import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen } from '../../schemas/common.ts';
import { EVENT_TYPES } from '../../services/subscriptions.ts';

export const CreateSubscriptionBody = z.object({
  url: z.string().max(2000).openapi({ description: 'The receiver: https, or http to localhost / 127.0.0.1 (a local receiver)', example: 'https://hooks.example.com/avlm' }),
  regions: z.array(z.string().regex(/^([A-Z]{2}|\*)$/, "a region code or '*'")).min(1).max(300).openapi({ description: "region codes, or ['*'] for every region" }),
  events: z.array(z.enum(EVENT_TYPES)).min(1).openapi({ description: 'slice.completed, version.regression, region.disparity, attribution.ready' }),
}).openapi('CreateSubscription');

const SubscriptionOut = z.object({
  id: z.string(), url: z.string(), regions: z.array(z.string()), events: z.array(z.enum(EVENT_TYPES)), created_at: z.string(),
}).openapi('Subscription');

const Attempt = z.object({
  at: z.string(), event_id: z.string(), event_type: z.string().nullable(), webhook_id: z.string().openapi({ description: 'the webhook-id header: the same on every attempt of one delivery' }),
  status: z.number().int().nullable().openapi({ description: "the receiver's HTTP status; null when none came (refused, timed out)" }),
  error: z.string().nullable(), duration_ms: z.number().int(),
  delivery: z.string().nullable().openapi({ description: 'the delivery now: pending | delivered | dead' }),
}).openapi('DeliveryAttempt');

const Params = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' }, example: 'sub_x1y2z3' }) });

export const createSubscription = createRoute({
  operationId: 'createSubscription',
  method: 'post', path: '/v1/admin/subscriptions', tags: ['admin'], security: bearer,
  summary: 'Subscribe a webhook receiver to events of some regions (admin). Its whsec_ secret is shown once.',
  request: { body: { content: { 'application/json': { schema: CreateSubscriptionBody, example: { url: 'https://hooks.example.com/avlm', regions: ['BR', 'MX'], events: ['slice.completed', 'version.regression'] } } }, required: true } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: SubscriptionOut.extend({ secret: z.string().openapi({ description: 'whsec_ + base64 of 32 random bytes: verify the webhook-signature with it (Standard Webhooks); shown once' }) }) } } },
    ...errorsWhen({ 400: 'A malformed body or a bad field (the message names it): url not https (nor http to localhost), an unknown region or event', 403: ADMIN_ONLY, 413: 'The body is over 64 KiB' }),
  },
});

export const listSubscriptions = createRoute({
  operationId: 'listSubscriptions',
  method: 'get', path: '/v1/admin/subscriptions', tags: ['admin'], security: bearer,
  summary: 'Every subscription (admin); never a secret',
  responses: { 200: { description: 'Oldest first', content: { 'application/json': { schema: z.object({ subscriptions: z.array(SubscriptionOut) }) } } }, ...errorsWhen({ 403: ADMIN_ONLY }) },
});

export const getSubscription = createRoute({
  operationId: 'getSubscription',
  method: 'get', path: '/v1/admin/subscriptions/{id}', tags: ['admin'], security: bearer,
  summary: 'One subscription (admin); never its secret',
  request: { params: Params },
  responses: { 200: { description: 'The subscription', content: { 'application/json': { schema: SubscriptionOut } } }, ...errorsWhen({ 403: ADMIN_ONLY, 404: 'No subscription with this id' }) },
});

export const deleteSubscription = createRoute({
  operationId: 'deleteSubscription',
  method: 'delete', path: '/v1/admin/subscriptions/{id}', tags: ['admin'], security: bearer,
  summary: 'Delete a subscription and its deliveries (admin); pending ones are not sent',
  request: { params: Params },
  responses: { 200: { description: 'Deleted', content: { 'application/json': { schema: z.object({ id: z.string(), deleted: z.boolean() }) } } }, ...errorsWhen({ 403: ADMIN_ONLY, 404: 'No subscription with this id' }) },
});

export const listSubscriptionDeliveries = createRoute({
  operationId: 'listSubscriptionDeliveries',
  method: 'get', path: '/v1/admin/subscriptions/{id}/deliveries', tags: ['admin'], security: bearer,
  summary: 'Every delivery attempt of a subscription, newest first (admin)',
  request: { params: Params, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: '1–1000, default 100' }) }) },
  responses: { 200: { description: 'Newest first', content: { 'application/json': { schema: z.object({ deliveries: z.array(Attempt) }) } } }, ...errorsWhen({ 400: 'limit is not an integer in 1–1000', 403: ADMIN_ONLY, 404: 'No subscription with this id' }) },
});
