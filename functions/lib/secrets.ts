// Secrets at rest (vendor HMAC secrets): AES-256-GCM (WebCrypto) under a key derived with HKDF
// (SHA-256) from the SECRETS_KEY secret binding. Without SECRETS_KEY the key is derived from
// ADMIN_TOKEN instead (fine for local use; rotating ADMIN_TOKEN then makes the stored vendor
// secrets undecryptable: set SECRETS_KEY in production). The ciphertext records which of the
// two it was sealed under, so adding SECRETS_KEY later keeps the old rows readable as long as
// ADMIN_TOKEN is unchanged. The vendor name is bound in as additional data: a ciphertext copied
// to another vendor's row does not decrypt.
import type { Bindings } from '../env.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const PREFIX = 'aesgcm:v1';

export function bytesToBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

type KeyId = 'sk' | 'at';
const keyCache = new Map<string, Promise<CryptoKey>>();

function material(env: Pick<Bindings, 'SECRETS_KEY' | 'ADMIN_TOKEN'>, kid: KeyId): string {
  const m = kid === 'sk' ? env.SECRETS_KEY : env.ADMIN_TOKEN;
  if (!m) throw new Error(`secrets: no ${kid === 'sk' ? 'SECRETS_KEY' : 'ADMIN_TOKEN'} binding to derive the key from`);
  return m;
}

function aesKey(ikm: string, kid: KeyId): Promise<CryptoKey> {
  const cacheKey = `${kid}:${ikm}`;
  let k = keyCache.get(cacheKey);
  if (!k) {
    k = (async () => {
      const base = await crypto.subtle.importKey('raw', enc.encode(ikm), 'HKDF', false, ['deriveKey']);
      return crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: enc.encode('avlm-diag/secrets-at-rest/v1'), info: enc.encode('vendor-secret aes-256-gcm') },
        base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
      );
    })();
    keyCache.set(cacheKey, k);
  }
  return k;
}

/** Seals `plain` for `context` (e.g. the vendor name): `aesgcm:v1:<kid>:<iv b64>:<ct b64>`. */
export async function sealSecret(env: Pick<Bindings, 'SECRETS_KEY' | 'ADMIN_TOKEN'>, context: string, plain: string): Promise<string> {
  const kid: KeyId = env.SECRETS_KEY ? 'sk' : 'at';
  const key = await aesKey(material(env, kid), kid);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(context) }, key, enc.encode(plain)));
  return `${PREFIX}:${kid}:${bytesToBase64(iv)}:${bytesToBase64(ct)}`;
}

export async function openSecret(env: Pick<Bindings, 'SECRETS_KEY' | 'ADMIN_TOKEN'>, context: string, sealed: string): Promise<string> {
  const parts = sealed.split(':');
  if (parts.length !== 5 || `${parts[0]}:${parts[1]}` !== PREFIX || (parts[2] !== 'sk' && parts[2] !== 'at')) {
    throw new Error('secrets: not a sealed secret');
  }
  const kid = parts[2] as KeyId;
  const key = await aesKey(material(env, kid), kid);
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: base64ToBytes(parts[3]), additionalData: enc.encode(context) }, key, base64ToBytes(parts[4]),
  );
  return dec.decode(plain);
}
