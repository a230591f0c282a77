// Labelling vendors (SPEC §6): registration, secrets, rotation, and verifying a delivery's
// signature over its raw bytes. A secret is returned once, when it is created; HMAC secrets are
// stored sealed (AES-GCM, see lib/secrets.ts) because verifying needs them, a static token only
// as its SHA-256.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Bindings } from '../env.ts';
import { ApiError, conflict, notFound, unauthorized } from '../lib/errors.ts';
import { fromHex, randomToken, sha256Hex, timingSafeEqualStr, toHex } from '../lib/crypto.ts';
import { base64ToBytes, bytesToBase64, openSecret, sealSecret } from '../lib/secrets.ts';
import { nowIso, type Row } from '../lib/db.ts';
import type { vendors } from '../../db/schema.ts';

export const SCHEMES = ['standard-webhooks', 'hmac-sha256-hex', 'static-token'] as const;
export type Scheme = (typeof SCHEMES)[number];

export const DEFAULT_SIGNATURE_HEADER: Record<Exclude<Scheme, 'standard-webhooks'>, string> = {
  'hmac-sha256-hex': 'x-hub-signature-256',
  'static-token': 'x-webhook-token',
};

/** Headers a vendor may not name as its signature/token or id header: credentials of other
 *  schemes (a bearer key would double as a vendor token), framing and hop-by-hop headers that
 *  proxies rewrite or drop, and the Standard Webhooks headers. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'content-length', 'content-type', 'content-encoding',
  'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'host', 'proxy-connection',
  'webhook-signature', 'webhook-timestamp',
]);

/** Standard Webhooks: timestamps further than this from now (either way) are refused. */
export const TOLERANCE_S = 5 * 60;

export type VendorRow = Omit<Row<typeof vendors>, 'scheme'> & { scheme: Scheme };

/** What a GET shows: never a secret. */
export function publicVendor(r: VendorRow) {
  return {
    vendor: r.vendor, scheme: r.scheme,
    signature_header: r.scheme === 'standard-webhooks' ? 'webhook-signature' : r.signature_header,
    id_header: r.scheme === 'standard-webhooks' ? 'webhook-id' : r.id_header,
    created_at: r.created_at, rotated_at: r.rotated_at,
    previous_valid_until: r.previous_expires_at && Date.parse(r.previous_expires_at) > Date.now() ? r.previous_expires_at : null,
  };
}

/** Standard Webhooks secrets are 24–64 random bytes (the spec's bounds), base64 after `whsec_`. */
const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
/** Other schemes: a string the vendor shows or the customer types; printable ASCII, no spaces. */
const TOKEN = /^[\x21-\x7e]{16,512}$/;

/** A secret the vendor issued (Svix/Standard Webhooks senders, Scale's dashboard token, a key
 *  typed into Labelbox): 400 naming `secret` unless it has its scheme's form. */
export function checkVendorSecret(scheme: Scheme, secret: string): void {
  const bad = (why: string) => new ApiError(400, 'invalid_request', `secret: ${why}`, { field: 'secret' });
  if (scheme === 'standard-webhooks') {
    const m = WHSEC.exec(secret);
    if (!m) throw bad('expected whsec_ followed by base64 (a Standard Webhooks secret)');
    let n: number;
    try { n = base64ToBytes(m[1]).length; } catch { throw bad('the part after whsec_ is not base64'); }
    if (n < 24 || n > 64) throw bad(`decodes to ${n} bytes; Standard Webhooks secrets are 24 to 64 bytes`);
    return;
  }
  if (!TOKEN.test(secret)) throw bad('expected 16 to 512 printable ASCII characters without spaces');
}

function newSecret(scheme: Scheme): string {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  if (scheme === 'standard-webhooks') return `whsec_${bytesToBase64(raw)}`;
  if (scheme === 'hmac-sha256-hex') return toHex(raw);
  return `tok_${randomToken(32)}`;
}

async function storeForm(env: Bindings, vendor: string, scheme: Scheme, secret: string): Promise<string> {
  return scheme === 'static-token' ? `sha256:${await sha256Hex(secret)}` : sealSecret(env, `vendor:${vendor}`, secret);
}

export async function getVendorRow(d1: D1Database, vendor: string): Promise<VendorRow | null> {
  return d1.prepare('SELECT * FROM vendors WHERE vendor = ?').bind(vendor).first<VendorRow>();
}

export async function listVendorRows(d1: D1Database): Promise<VendorRow[]> {
  return (await d1.prepare('SELECT * FROM vendors ORDER BY vendor').all<VendorRow>()).results;
}

export async function createVendor(
  env: Bindings,
  body: { vendor: string; scheme: Scheme; signature_header?: string; id_header?: string; secret?: string },
): Promise<{ row: VendorRow; secret: string | null }> {
  const { vendor, scheme } = body;
  if (scheme === 'standard-webhooks' && (body.signature_header || body.id_header)) {
    const field = body.signature_header ? 'signature_header' : 'id_header';
    throw new ApiError(400, 'invalid_request', `${field}: standard-webhooks uses the webhook-id/-timestamp/-signature headers`, { field });
  }
  for (const field of ['signature_header', 'id_header'] as const) {
    const h = body[field]?.toLowerCase();
    if (h && RESERVED_HEADERS.has(h)) throw new ApiError(400, 'invalid_request', `${field}: '${h}' is reserved (credentials, framing or hop-by-hop); pick a vendor header such as X-Scale-Token`, { field });
  }
  const signatureHeader = scheme === 'standard-webhooks' ? null : (body.signature_header ?? DEFAULT_SIGNATURE_HEADER[scheme]).toLowerCase();
  const idHeader = scheme === 'standard-webhooks' ? null : body.id_header?.toLowerCase() ?? null;
  // The delivery id is stored in the ledger: the token or signature must not become it.
  if (idHeader && idHeader === signatureHeader) throw new ApiError(400, 'invalid_request', 'id_header: must differ from the signature header', { field: 'id_header' });
  if (body.secret !== undefined) checkVendorSecret(scheme, body.secret);
  // A secret the vendor issued is never shown back (null); one made here is shown this once.
  const secret = body.secret ?? newSecret(scheme);
  const now = nowIso();
  const stored = await storeForm(env, vendor, scheme, secret);
  const r = await env.DB.prepare(
    `INSERT INTO vendors (vendor, scheme, signature_header, id_header, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (vendor) DO NOTHING`,
  ).bind(vendor, scheme, signatureHeader, idHeader, stored, now).run();
  if (r.meta.changes !== 1) throw conflict(`vendor: '${vendor}' already exists (rotate its secret with POST /v1/admin/vendors/${vendor}/rotate)`, { field: 'vendor' });
  forget(vendor);
  return { row: (await getVendorRow(env.DB, vendor))!, secret: body.secret === undefined ? secret : null };
}

/** New secret (`given`: the vendor's, else one made here); the current one stays valid for
 *  `overlapSeconds` more (replacing any older one). */
export async function rotateVendor(env: Bindings, vendor: string, overlapSeconds: number, given?: string): Promise<{ row: VendorRow; secret: string | null }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await getVendorRow(env.DB, vendor);
    if (!row) throw notFound(`vendor: no vendor '${vendor}'`);
    if (given !== undefined) checkVendorSecret(row.scheme, given);
    const secret = given ?? newSecret(row.scheme);
    const now = new Date();
    const expires = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
    // Compare-and-set on the current secret: two concurrent rotations do not both win.
    const r = await env.DB.prepare(
      `UPDATE vendors SET secret = ?, previous_secret = ?, previous_expires_at = ?, rotated_at = ? WHERE vendor = ? AND secret = ?`,
    ).bind(await storeForm(env, vendor, row.scheme, secret), row.secret, expires, now.toISOString(), vendor, row.secret).run();
    if (r.meta.changes === 1) {
      forget(vendor);
      return { row: (await getVendorRow(env.DB, vendor))!, secret: given === undefined ? secret : null };
    }
  }
  throw new ApiError(409, 'conflict', `vendor: '${vendor}' is being rotated concurrently; try again`);
}

// ---------------------------------------------------------------------------------------------
// Verification. A vendor's credentials are cached per isolate for a few seconds (a rotation in
// this isolate clears it at once; other isolates see it within VENDOR_CACHE_MS, and the previous
// secret stays valid meanwhile — its expiry is checked on every request).

interface Credential { hmac?: KeyObject; tokenHash?: string }
interface VendorAuth {
  vendor: string; scheme: Scheme; signatureHeader: string | null; idHeader: string | null;
  current: Credential; previous?: Credential; previousExpires: number;
}

const VENDOR_CACHE_MS = 5_000;
const cache = new Map<string, { at: number; auth: Promise<VendorAuth | null> }>();

function forget(vendor: string) { cache.delete(vendor); }

async function credential(env: Bindings, row: VendorRow, stored: string): Promise<Credential> {
  if (row.scheme === 'static-token') return { tokenHash: stored.replace(/^sha256:/, '') };
  const secret = await openSecret(env, `vendor:${row.vendor}`, stored);
  const keyBytes = row.scheme === 'standard-webhooks'
    ? base64ToBytes(secret.replace(/^whsec_/, ''))
    : new TextEncoder().encode(secret); // GitHub style: the secret string is the HMAC key
  return { hmac: createSecretKey(keyBytes) };
}

async function loadAuth(env: Bindings, vendor: string): Promise<VendorAuth | null> {
  const row = await getVendorRow(env.DB, vendor);
  if (!row) return null;
  const previousExpires = row.previous_expires_at ? Date.parse(row.previous_expires_at) : 0;
  return {
    vendor, scheme: row.scheme, signatureHeader: row.signature_header, idHeader: row.id_header,
    current: await credential(env, row, row.secret),
    previous: row.previous_secret && previousExpires > Date.now() ? await credential(env, row, row.previous_secret) : undefined,
    previousExpires,
  };
}

export async function vendorAuth(env: Bindings, vendor: string): Promise<VendorAuth | null> {
  const hit = cache.get(vendor);
  if (hit && Date.now() - hit.at < VENDOR_CACHE_MS) return hit.auth;
  const auth = loadAuth(env, vendor);
  cache.set(vendor, { at: Date.now(), auth });
  auth.catch(() => cache.delete(vendor));
  if (cache.size > 1000) cache.delete(cache.keys().next().value!);
  return auth;
}

function credentials(a: VendorAuth, now: number): Credential[] {
  return a.previous && a.previousExpires > now ? [a.current, a.previous] : [a.current];
}

const enc = new TextEncoder();

// A SHA-256 MAC is 32 bytes: as base64 exactly 44 characters, as hex 64.
const B64_MAC = /^[A-Za-z0-9+/]{43}=$/;
const HEX_MAC = /^[0-9a-f]{64}$/;

/** The decoded MACs among `given` (others cannot match and are skipped). */
function macs(given: readonly string[], format: 'base64' | 'hex'): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const g of given) {
    if (format === 'base64' ? B64_MAC.test(g) : HEX_MAC.test(g)) out.push(format === 'base64' ? base64ToBytes(g) : fromHex(g));
  }
  return out;
}

/** Whether any given MAC is the HMAC-SHA256 of the concatenated `parts` under any credential.
 *  node:crypto (nodejs_compat): synchronous, fed part by part (no copy of the body to prefix
 *  it); compared in constant time, every pair tried (no early exit on the first match). */
function anyValid(creds: readonly Credential[], given: readonly Uint8Array[], parts: readonly Uint8Array[]): boolean {
  let ok = false;
  for (const c of creds) {
    const h = createHmac('sha256', c.hmac!);
    for (const p of parts) h.update(p);
    const mac = h.digest();
    for (const g of given) ok = timingSafeEqual(mac, g) || ok;
  }
  return ok;
}

/**
 * Checks a delivery's signature over its raw bytes; returns its delivery id. Throws 401 on a
 * missing or wrong signature, or (Standard Webhooks) a timestamp outside ±5 minutes.
 */
export async function verifyDelivery(a: VendorAuth, headers: Headers, raw: Uint8Array, nowMs = Date.now()): Promise<string> {
  const creds = credentials(a, nowMs);
  if (a.scheme === 'standard-webhooks') {
    const id = headers.get('webhook-id');
    const ts = headers.get('webhook-timestamp');
    const sig = headers.get('webhook-signature');
    if (!id || !ts || !sig) throw unauthorized('webhook-id, webhook-timestamp and webhook-signature headers are required');
    if (!/^\d{1,12}$/.test(ts.trim())) throw unauthorized('webhook-timestamp: expected Unix seconds');
    const skew = Math.floor(nowMs / 1000) - Number(ts.trim());
    if (skew > TOLERANCE_S) throw unauthorized('webhook-timestamp: too old (more than 5 minutes)');
    if (skew < -TOLERANCE_S) throw unauthorized('webhook-timestamp: in the future (more than 5 minutes)');
    if (id.length > 256) throw unauthorized('webhook-id: longer than 256 characters');
    const given = macs(sig.split(' ').map((s) => s.trim()).filter((s) => s.startsWith('v1,')).map((s) => s.slice(3)), 'base64');
    if (given.length && anyValid(creds, given, [enc.encode(`${id}.${ts.trim()}.`), raw])) return id;
    throw unauthorized('webhook-signature: no valid v1 signature');
  }
  const header = a.signatureHeader!;
  const value = headers.get(header);
  if (!value) throw unauthorized(`${header}: required`);
  if (a.scheme === 'hmac-sha256-hex') {
    const given = macs([value.trim().replace(/^sha256=/i, '').toLowerCase()], 'hex');
    if (!given.length || !anyValid(creds, given, [raw])) throw unauthorized(`${header}: signature does not match`);
  } else {
    const hash = await sha256Hex(value.trim());
    let ok = false;
    for (const c of creds) ok = timingSafeEqualStr(hash, c.tokenHash!) || ok;
    if (!ok) throw unauthorized(`${header}: token does not match`);
  }
  const id = a.idHeader ? headers.get(a.idHeader) : null;
  if (id && id.length <= 256) return id;
  return `sha256:${await sha256Hex(raw)}`;
}
