import type { Context } from 'hono';
import type { AppEnv } from '../../env.ts';
import { ApiError, badRequest, notFound } from '../../lib/errors.ts';
import { vendorAuth, verifyDelivery } from '../../labels/vendors.ts';
import type { DeliveryEvent } from '../../labels/apply.ts';
import { commitDelivery } from '../../labels/group-commit.ts';
import { LabelDeliverySchema, MAX_DELIVERY_BYTES } from './routes.ts';

/** `events[3].violating` from a zod issue path. */
export function fieldOf(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s ? '.' : ''}${String(p)}`;
  return s || 'body';
}

export function parseDelivery(raw: Uint8Array): DeliveryEvent[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `body: malformed JSON (${(e as Error).message})`, { field: 'body' });
  }
  const r = LabelDeliverySchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = fieldOf(issue.path);
    const message = /received undefined/.test(issue.message) ? 'required' : issue.message;
    throw badRequest(`${field}: ${message}`, { field });
  }
  return r.data.events.map((e) => ({ ...e, labelled_at: new Date(e.labelled_at).toISOString() }));
}

export async function labelWebhookHandler(c: Context<AppEnv>) {
  const vendor = c.req.param('vendor') ?? '';
  const auth = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(vendor) ? await vendorAuth(c.env, vendor) : null;
  if (!auth) throw notFound(`vendor: no vendor '${vendor.slice(0, 64)}'`);
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_DELIVERY_BYTES) throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_DELIVERY_BYTES} bytes`, { field: 'body' });
  // The raw bytes, read once: the signature covers exactly these.
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > MAX_DELIVERY_BYTES) throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_DELIVERY_BYTES} bytes`, { field: 'body' });
  const deliveryId = await verifyDelivery(auth, c.req.raw.headers, raw);
  const events = parseDelivery(raw);
  return c.json(await commitDelivery(c.env.DB, { vendor, deliveryId, events }), 200);
}
