import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen } from '../../schemas/common.ts';
import { SCHEMES } from '../../labels/vendors.ts';

export const VendorName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1–64, starting with a letter or digit)');
const HeaderName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name');

const VendorSecretIn = z.string().max(600).openapi({
  description: 'The secret the vendor issued (a Standard Webhooks sender\'s whsec_… key, Scale\'s callback token, a key you typed into Labelbox); stored sealed and never shown back. Absent: one is generated and shown once. standard-webhooks: whsec_ + base64 of 24–64 bytes; the others: 16–512 printable ASCII characters',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});

export const CreateVendorBody = z.object({
  vendor: VendorName.openapi({ example: 'acme-labels' }),
  scheme: z.enum(SCHEMES).default('standard-webhooks').openapi({
    description: 'standard-webhooks (webhook-id/-timestamp/-signature, secret whsec_…); hmac-sha256-hex (X-Hub-Signature-256: sha256=<hex> over the body, GitHub/Labelbox style); static-token (a token in a header, Scale style)',
  }),
  signature_header: HeaderName.optional().openapi({ description: 'hmac-sha256-hex: default X-Hub-Signature-256; static-token: default X-Webhook-Token (e.g. X-Scale-Token)' }),
  id_header: HeaderName.optional().openapi({ description: 'non-standard schemes: header carrying the delivery id (e.g. X-Labelbox-Id); else the SHA-256 of the raw body is the id' }),
  secret: VendorSecretIn.optional(),
}).openapi('CreateVendor');

const VendorOut = z.object({
  vendor: z.string(), scheme: z.enum(SCHEMES), signature_header: z.string().nullable(), id_header: z.string().nullable(),
  created_at: z.string(), rotated_at: z.string().nullable(),
  previous_valid_until: z.string().nullable().openapi({ description: 'after a rotation: until when the previous secret is still accepted' }),
}).openapi('Vendor');

const SecretOut = VendorOut.extend({
  secret: z.string().optional().openapi({ description: 'A generated secret, shown once (absent when you supplied the vendor\'s own). standard-webhooks: whsec_<base64 of 32 bytes>; hmac-sha256-hex: 64 hex characters (the HMAC key is this string); static-token: tok_…' }),
}).openapi('VendorSecret');

const Params = z.object({ vendor: VendorName.openapi({ param: { name: 'vendor', in: 'path' }, example: 'acme-labels' }) });

export const createVendor = createRoute({
  operationId: 'createVendor',
  method: 'post', path: '/v1/admin/vendors', tags: ['vendors'], security: bearer,
  summary: 'Register a labelling vendor (admin). Its secret is shown once; an existing vendor is 409 (rotate instead).',
  request: { body: { content: { 'application/json': { schema: CreateVendorBody, example: { vendor: 'acme-labels', scheme: 'standard-webhooks' } } }, required: true } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: SecretOut } } },
    ...errorsWhen({
      400: 'A malformed vendor name, unknown scheme, bad header name (or one that may not carry a signature), or a secret of the wrong format or length for the scheme (the message names the field)',
      403: ADMIN_ONLY, 409: 'The vendor exists (rotate its secret instead)',
    }),
  },
});

export const rotateVendor = createRoute({
  operationId: 'rotateVendor',
  method: 'post', path: '/v1/admin/vendors/{vendor}/rotate', tags: ['vendors'], security: bearer,
  summary: 'Rotate a vendor\'s secret (admin): the new one is shown once; the previous one stays valid for overlap_seconds',
  request: {
    params: Params,
    body: { content: { 'application/json': { schema: z.object({ overlap_seconds: z.number().int().min(0).max(30 * 86_400).default(86_400), secret: VendorSecretIn.optional() }).openapi('RotateVendor'), example: { overlap_seconds: 86400 } } }, required: false },
  },
  responses: { 200: { description: 'Rotated', content: { 'application/json': { schema: SecretOut } } }, ...errorsWhen({ 400: 'overlap_seconds out of range, or a secret of the wrong format for the scheme (the message names the field)', 403: ADMIN_ONLY, 404: 'No vendor of this name' }) },
});

export const getVendor = createRoute({
  operationId: 'getVendor',
  method: 'get', path: '/v1/admin/vendors/{vendor}', tags: ['vendors'], security: bearer,
  summary: 'A vendor\'s configuration (admin); never its secret',
  request: { params: Params },
  responses: { 200: { description: 'The vendor', content: { 'application/json': { schema: VendorOut } } }, ...errorsWhen({ 400: 'A malformed vendor name', 403: ADMIN_ONLY, 404: 'No vendor of this name' }) },
});

export const listVendors = createRoute({
  operationId: 'listVendors',
  method: 'get', path: '/v1/admin/vendors', tags: ['vendors'], security: bearer,
  summary: 'Every vendor (admin); never a secret',
  responses: { 200: { description: 'Vendors by name', content: { 'application/json': { schema: z.object({ vendors: z.array(VendorOut) }) } } }, ...errorsWhen({ 403: ADMIN_ONLY }) },
});
