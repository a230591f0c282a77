// The vendor webhook is not under the bearer auth (app.ts exempts /v1/webhooks/*): it is
// authenticated by the vendor's signature over the raw body. The route is registered for the
// OpenAPI document only; a plain handler serves it, so no validator reads (and re-encodes) the
// body before the signature is checked.
import { createRouter } from '../../lib/openapi.ts';
import { labelWebhook } from './routes.ts';
import { labelWebhookHandler } from './handlers.ts';

export const webhooksRouter = createRouter();
const reg = webhooksRouter.openAPIRegistry;
reg.registerComponent('securitySchemes', 'standardWebhooks', { type: 'apiKey', in: 'header', name: 'webhook-signature', description: 'Standard Webhooks: v1,<base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body"> with the vendor secret (whsec_…)' });
reg.registerComponent('securitySchemes', 'hmacSha256Hex', { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256', description: 'sha256=<hex HMAC-SHA256 of the body> (header configurable per vendor)' });
reg.registerComponent('securitySchemes', 'staticToken', { type: 'apiKey', in: 'header', name: 'X-Webhook-Token', description: 'the vendor token (header configurable per vendor, e.g. X-Scale-Token)' });
reg.registerPath(labelWebhook);
webhooksRouter.post('/v1/webhooks/labels/:vendor', labelWebhookHandler);
