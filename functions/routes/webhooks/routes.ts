import { createRoute, z } from '@hono/zod-openapi';
import { ErrorSchema } from '../../schemas/common.ts';

/** At most this many events per delivery (SPEC §6). */
export const MAX_EVENTS = 1000;
/** Raw body cap: 1,000 events of the largest allowed fields fit well below. */
export const MAX_DELIVERY_BYTES = 2 * 1024 * 1024;

export const LabelEventSchema = z.object({
  region: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in upper case'),
  slice_id: z.string().min(1).max(128),
  item_id: z.string().min(1).max(128),
  violating: z.boolean(),
  annotator: z.string().min(1).max(128).optional().openapi({ description: 'present: one vote (the label becomes the majority of the item\'s votes, ties keep it); absent: an adjudicated label that replaces it' }),
  evidence: z.array(z.enum(['audio', 'visual', 'text'])).max(3).optional(),
  adversarial: z.boolean().optional(),
  labelled_at: z.iso.datetime({ offset: true }).openapi({ description: 'ISO 8601; a re-vote replaces the annotator\'s vote unless the one held is newer' }),
}).openapi('LabelEvent');

export const LabelDeliverySchema = z.object({
  events: z.array(LabelEventSchema).min(1).max(MAX_EVENTS),
}).openapi('LabelDelivery');

const DeliveryResult = z.object({
  delivery_id: z.string(), duplicate: z.boolean().openapi({ description: 'true: this delivery id was applied before; nothing changed' }),
  events: z.number().int(), applied: z.number().int(),
  parked: z.number().int().openapi({ description: 'events for a slice or item not stored yet: kept, and applied when it arrives' }),
  items_changed: z.number().int().openapi({ description: 'items whose stored record the events changed (live segments next to them that were re-diagnosed are not counted)' }),
  relabelled: z.number().int().openapi({ description: 'items whose label.violating changed' }),
}).openapi('LabelDeliveryResult');

const hdr = (description: string) => z.string().optional().openapi({ description });

/** Documentation only: the handler reads the raw bytes itself (signatures cover them exactly). */
export const labelWebhook = createRoute({
  operationId: 'receiveLabelEvents',
  method: 'post', path: '/v1/webhooks/labels/{vendor}', tags: ['webhooks'],
  security: [{ standardWebhooks: [] }, { hmacSha256Hex: [] }, { staticToken: [] }],
  summary: 'Label events from a labelling vendor (signed; no bearer key)',
  description: [
    'Authenticated by the vendor\'s scheme over the raw body bytes, not by a bearer key.',
    '**standard-webhooks** (default): `webhook-id`, `webhook-timestamp` (Unix seconds, within ±5 minutes), `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (several space-separated signatures allowed, e.g. during a rotation).',
    '**hmac-sha256-hex**: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (or the configured header).',
    '**static-token**: the token in the configured header (e.g. `X-Scale-Token`).',
    'Idempotent on the delivery id (`webhook-id`; for the other schemes the configured id header, else the SHA-256 of the body): a replay answers 200 `{duplicate: true, applied: 0}` and changes nothing.',
    'A delivery is applied atomically: all its events or none. Events for slices (complete or probing) or items not stored yet are parked and applied when the item arrives; events naming an unknown region are refused (400), and a vendor has at most MAX_PARKED_PER_VENDOR (default 100,000) events parked at once (429 past it).',
  ].join('\n\n'),
  request: {
    params: z.object({ vendor: z.string().openapi({ param: { name: 'vendor', in: 'path' }, example: 'acme-labels' }) }),
    headers: z.object({
      'webhook-id': hdr('standard-webhooks: the delivery id'),
      'webhook-timestamp': hdr('standard-webhooks: Unix seconds'),
      'webhook-signature': hdr('standard-webhooks: v1,<base64> [v1,<base64> …]'),
      'x-hub-signature-256': hdr('hmac-sha256-hex (default header): sha256=<hex>'),
    }),
    body: { content: { 'application/json': { schema: LabelDeliverySchema, example: { events: [{ region: 'BR', slice_id: 'br-2026-11-eval', item_id: 'v-1', violating: true, annotator: 'rater-07', evidence: ['audio'], labelled_at: '2026-11-20T14:03:00Z' }] } } }, required: true },
  },
  responses: {
    200: { description: 'Applied (or a duplicate, applied before)', content: { 'application/json': { schema: DeliveryResult } } },
    400: { description: 'A malformed delivery or event, or an event naming an unknown region (the message names the field)', content: { 'application/json': { schema: ErrorSchema } } },
    401: { description: 'Missing or wrong signature, or a timestamp outside the tolerance', content: { 'application/json': { schema: ErrorSchema } } },
    404: { description: 'Unknown vendor', content: { 'application/json': { schema: ErrorSchema } } },
    413: { description: 'Body larger than 2 MiB', content: { 'application/json': { schema: ErrorSchema } } },
    429: { description: 'The vendor\'s parked events are at their cap; nothing applied — retry after Retry-After seconds', content: { 'application/json': { schema: ErrorSchema } } },
    503: { description: 'Items rewritten concurrently too often; nothing applied — retry', content: { 'application/json': { schema: ErrorSchema } } },
  },
});
