import type { Context } from 'hono';
import type { AppEnv } from '../../env.ts';
import { ApiError, badRequest, notFound } from '../../lib/errors.ts';
import { vendorAuth, verifyDelivery } from '../../labels/vendors.ts';
import { DEFAULT_MAX_PARKED, type DeliveryEvent } from '../../labels/apply.ts';
import { commitDelivery } from '../../labels/group-commit.ts';
import { regionSet } from '../../store/regions.ts';
import { syncWritten } from '../../store/partition/sync.ts';
import { LabelDeliverySchema, LabelEventSchema, MAX_DELIVERY_BYTES, MAX_EVENTS } from './routes.ts';

/** `events[3].violating` from a zod issue path. */
export function fieldOf(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s ? '.' : ''}${String(p)}`;
  return s || 'body';
}

// The common case without zod (a delivery is small, and the schema walk cost more than the rest
// of its parsing): a plain check that accepts only what LabelDeliverySchema accepts — the same
// regexes (zod's own datetime pattern), lengths and types — and builds the same events. Anything
// else, valid or not, goes to the schema, which decides and names the field.
const DATETIME = (LabelEventSchema.shape.labelled_at as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def?.pattern;
const DATETIME_RE = DATETIME instanceof RegExp ? DATETIME : null;
const REGION_RE = /^[A-Z]{2}$/;
const CANONICAL_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MODALITIES: ReadonlySet<unknown> = new Set(['audio', 'visual', 'text']);
const text128 = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 128;

export function fastEvents(doc: unknown): DeliveryEvent[] | null {
  if (!DATETIME_RE || typeof doc !== 'object' || doc === null) return null;
  const evs = (doc as { events?: unknown }).events;
  if (!Array.isArray(evs) || evs.length < 1 || evs.length > MAX_EVENTS) return null;
  const out: DeliveryEvent[] = [];
  for (const e of evs as unknown[]) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return null;
    const { region, slice_id, item_id, violating, annotator, evidence, adversarial, labelled_at } = e as Record<string, unknown>;
    if (typeof region !== 'string' || !REGION_RE.test(region) || !text128(slice_id) || !text128(item_id) || typeof violating !== 'boolean'
      || typeof labelled_at !== 'string' || !DATETIME_RE.test(labelled_at)) return null;
    const ev: DeliveryEvent = { region, slice_id, item_id, violating, labelled_at: '' };
    if (annotator !== undefined) {
      if (!text128(annotator)) return null;
      ev.annotator = annotator;
    }
    if (evidence !== undefined) {
      if (!Array.isArray(evidence) || evidence.length > 3 || !evidence.every((m) => MODALITIES.has(m))) return null;
      ev.evidence = [...evidence] as DeliveryEvent['evidence'];
    }
    if (adversarial !== undefined) {
      if (typeof adversarial !== 'boolean') return null;
      ev.adversarial = adversarial;
    }
    // Already in the stored form (UTC, milliseconds) as most vendors send it: no Date round trip.
    ev.labelled_at = CANONICAL_UTC.test(labelled_at) ? labelled_at : new Date(labelled_at).toISOString();
    out.push(ev);
  }
  return out;
}

// Fatal: a body that is not UTF-8 is malformed (RFC 8259), not text to patch with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function parseDelivery(raw: Uint8Array): DeliveryEvent[] {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'body: not valid UTF-8', { field: 'body' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `body: malformed JSON (${(e as Error).message})`, { field: 'body' });
  }
  const fast = fastEvents(doc);
  if (fast) return fast;
  const r = LabelDeliverySchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = fieldOf(issue.path);
    const message = /received undefined/.test(issue.message) ? 'required' : issue.message;
    throw badRequest(`${field}: ${message}`, { field });
  }
  return r.data.events.map((e) => ({ ...e, labelled_at: new Date(e.labelled_at).toISOString() }));
}

/** Events for a region that does not exist could never be applied: refused, not parked. The
 *  region set is held in memory (one D1 read per isolate). */
async function checkRegions(d1: D1Database, events: readonly DeliveryEvent[]): Promise<void> {
  const known = await regionSet(d1);
  const i = events.findIndex((e) => !known.has(e.region));
  if (i >= 0) throw badRequest(`events[${i}].region: unknown region '${events[i].region}'`, { field: `events[${i}].region` });
}

/** Runs `work` after the response where the runtime allows it (waitUntil), else before it. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): Promise<void> | void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    return work;
  }
}

function maxParked(env: AppEnv['Bindings']): number {
  const n = Number(env.MAX_PARKED_PER_VENDOR);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_PARKED;
}

export async function labelWebhookHandler(c: Context<AppEnv>) {
  const vendor = c.req.param('vendor') ?? '';
  const auth = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(vendor) ? await vendorAuth(c.env, vendor) : null;
  if (!auth) throw notFound(`vendor: no vendor '${vendor.slice(0, 64)}'`);
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_DELIVERY_BYTES) throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_DELIVERY_BYTES} bytes`, { field: 'body' });
  // The raw bytes, read once: the signature covers exactly these.
  const raw = new Uint8Array(await c.req.raw.arrayBuffer());
  if (raw.byteLength > MAX_DELIVERY_BYTES) throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_DELIVERY_BYTES} bytes`, { field: 'body' });
  const deliveryId = await verifyDelivery(auth, c.req.raw.headers, raw);
  const events = parseDelivery(raw);
  await checkRegions(c.env.DB, events);
  // The item partitions get the records each group this request leads has written, after the
  // answer (store/partition/sync.ts syncWritten; a failed call falls back to a sync message).
  const result = await commitDelivery(c.env, { vendor, deliveryId, events }, maxParked(c.env),
    (written) => afterResponse(c, syncWritten(c.env, written)));
  // A plain Response: the hot path of the load run, and c.json's header merging is not needed here.
  return new Response(JSON.stringify(result), { headers: JSON_HEADERS });
}
