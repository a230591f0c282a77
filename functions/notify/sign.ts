// Standard Webhooks signing (the sender's side of SPEC §6's scheme, SPEC §13):
// webhook-signature = "v1," + base64(HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")),
// the secret being the base64 after whsec_.
import { base64ToBytes, bytesToBase64 } from '../lib/secrets.ts';

const enc = new TextEncoder();

export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(`${id}.${timestamp}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}
