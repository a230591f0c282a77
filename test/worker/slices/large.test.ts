// A slice larger than two R2 multipart parts (2 × 8 MiB): every part but the last must have
// one size, or R2 refuses to complete the upload.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('large async slice', () => {
  it('takes a ~18 MiB NDJSON body through R2 and the queue', async () => {
    const pad = 'x'.repeat(900); // an unknown field, kept with the item
    const lines = [JSON.stringify({ slice_id: 'big-1', model: { id: 'big', version: '1', stage: 'sft' } })];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const fn = i % 10 === 0;
      lines.push(JSON.stringify({
        item_id: `i${i}`, surface: 'vod', policy: 'hate.slur', label: { violating: fn },
        prediction: { score: fn ? 0.1 : 0.2 }, note: pad,
      }));
    }
    const body = lines.join('\n') + '\n';
    expect(body.length).toBeGreaterThan(17 * 1024 * 1024);
    const r = await api('/v1/regions/NO/slices', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(r.status, JSON.stringify(r.data)).toBe(202);
    let s;
    for (let t = 0; t < 300; t++) {
      s = await api('/v1/regions/NO/slices/big-1');
      if (s.data.status !== 'processing') break;
      await sleep(100);
    }
    expect(s!.data).toMatchObject({ status: 'complete', items: n, failures: n / 10, by_signature: { UNPROBED: n / 10 } });
    expect((await env.SLICES.list()).objects).toHaveLength(0);
  }, 120_000);
});
