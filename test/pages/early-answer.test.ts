// Early answers on body routes over real HTTP (wrangler's harness: workerd behind a socket).
// A Worker that answers before it has read the request body lets the connection drop while
// the client is still sending: the client sees a 500 "Network connection lost" instead of the
// 4xx. The in-process fetch path cannot show this; a socket can.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorker, ADMIN, type RunningWorker } from './worker.ts';

const MODEL = { id: 'avlm', version: '1', stage: 'sft' };
const item = (i: number) => JSON.stringify({
  item_id: `i${i}`, surface: 'vod', language: 'pt-BR', policy: 'hate.slur',
  label: { violating: false, source: 'internal' }, prediction: { score: 0.1 }, note: 'x'.repeat(200),
});

/** An NDJSON slice of ~`mb` MB (streamed path: above ASYNC_INGEST_BYTES) whose line 3 is bad. */
function badSlice(sliceId: string, mb: number): Uint8Array<ArrayBuffer> {
  const lines = [JSON.stringify({ slice_id: sliceId, model: MODEL }), item(0), '{"item_id": oops'];
  const line = item(1);
  for (let n = 0; n < (mb * 1_000_000) / line.length; n++) lines.push(item(n + 2));
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

async function post(url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST', body,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-ndjson', ...headers },
  });
  const text = await res.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON: the failure this file guards against */ }
  return { status: res.status, text: text.slice(0, 200), json };
}

describe('early answers on a large request body arrive whole (real HTTP)', () => {
  let w: RunningWorker;
  beforeAll(async () => { w = await startWorker('pages-dist-early'); });
  afterAll(async () => { await w?.close(); });

  it('a bad line early in a large streamed NDJSON slice answers its 400 every time', async () => {
    const body = badSlice('early-bad', 12);
    for (let i = 0; i < 6; i++) {
      const r = await post(`${w.url}/v1/regions/BR/slices`, body);
      expect({ try: i, status: r.status, text: r.text }).toMatchObject({ try: i, status: 400 });
      expect(r.json.error.message).toMatch(/^line 3: /);
    }
  });

  it('an answer given before the body is read (unknown region, bad key) arrives as JSON', async () => {
    const body = badSlice('early-404', 12);
    for (let i = 0; i < 3; i++) {
      const r = await post(`${w.url}/v1/regions/ZZ/slices`, body);
      expect({ try: i, status: r.status, text: r.text }).toMatchObject({ try: i, status: 404 });
      expect(r.json.error.message).toMatch(/^region: /);
      const u = await post(`${w.url}/v1/regions/BR/slices`, body, { authorization: 'Bearer nope' });
      expect({ try: i, status: u.status, text: u.text }).toMatchObject({ try: i, status: 401 });
      expect(u.json.error.code).toBeTruthy();
    }
  });
});
