// Test helpers: requests go through the real Worker entry (exports.default.fetch).
import { exports } from 'cloudflare:workers';

export const ADMIN = 'test-admin-token';

export async function api(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? ADMIN : init.token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await (exports as unknown as { default: { fetch: (r: Request) => Promise<Response> } }).default.fetch(new Request(`http://avlm.test${path}`, { ...init, headers, body }));
  const text = await res.text();
  let data: any = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: res.status, data, headers: res.headers };
}

export async function createKey(regions: string[], scopes: string[]) {
  const r = await api('/v1/admin/keys', { method: 'POST', json: { regions, scopes } });
  if (r.status !== 201) throw new Error(`createKey: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data.key as string;
}

export const MODEL = { id: 'avlm', version: '1', stage: 'sft' } as const;

/** An item builder with sensible defaults; `over` replaces fields. */
export function item(id: string, over: Record<string, unknown> = {}) {
  return {
    item_id: id, surface: 'vod', language: 'pt-BR', policy: 'hate.slur',
    label: { violating: false, source: 'internal' },
    prediction: { score: 0.1 },
    ...over,
  };
}

export function ndjson(header: unknown, items: unknown[]): string {
  return [header, ...items].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

export function submit(region: string, body: unknown, opts: { token?: string | null; ndjson?: boolean } = {}) {
  if (opts.ndjson) {
    const b = body as { slice_id: string; model: unknown; items: unknown[] };
    return api(`/v1/regions/${region}/slices`, {
      method: 'POST', token: opts.token, headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson({ slice_id: b.slice_id, model: b.model }, b.items),
    });
  }
  return api(`/v1/regions/${region}/slices`, { method: 'POST', token: opts.token, json: body });
}

/** A body of unknown length (no content-length, as when sent chunked), in pieces of `size` bytes. */
export function chunked(text: string, size = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) { c.close(); return; }
      c.enqueue(bytes.slice(o, (o += size)));
    },
  });
}

/**
 * POSTs `text` as a body of known length (content-length set) whose last `tail` bytes the test
 * holds back: the Worker reads the rest at once and waits for the end until release().
 */
export function postHeldBack(path: string, text: string, tail: number, headers: Record<string, string>) {
  const bytes = new TextEncoder().encode(text);
  const { readable, writable } = new FixedLengthStream(bytes.length);
  const w = writable.getWriter();
  const response = api(path, { method: 'POST', body: readable, headers: { ...headers, 'content-length': String(bytes.length) } });
  const head = bytes.length - tail;
  const sent = (async () => { for (let o = 0; o < head; o += 64 * 1024) await w.write(bytes.slice(o, Math.min(head, o + 64 * 1024))); })();
  return {
    response,
    sent,
    async release() { await sent; await w.write(bytes.slice(head)); await w.close(); },
  };
}
