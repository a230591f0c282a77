// While a committed slice is not yet copied into its item partition, the items answer says so
// (`slices_catching_up`) and the items page explains why the total may be short; both follow
// the copy's watermark (partition_sync), which the queue's sync and the admin catch-up write.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api } from '../helpers.ts';
import { page, texts } from '../pages/html.ts';
import { submitWorld, waitFor } from './world.ts';

const MODEL = { id: 'itc', version: '1', stage: 'sft' };
const R = 'TZ';
const items = () => api(`/v1/regions/${R}/items?model=${MODEL.id}&version=${MODEL.version}&limit=1`);
const note = async () => (await texts((await page(`/scorecards/${R}/items?model=${MODEL.id}&version=${MODEL.version}`)).data, '#items-catching-up'))[0]?.replace(/\s+/g, ' ').trim() ?? null;

describe('items: slices still being copied into the partition', () => {
  it('counts the committed slices without a watermark, and 0 once each is copied', async () => {
    const a = await submitWorld(R, 'c-one', MODEL, 40);
    const b = await submitWorld(R, 'c-two', MODEL, 30, 5);
    const done = await waitFor(items, (r) => r.data.total === a.length + b.length && r.data.slices_catching_up === 0);
    expect(done.data.slices_catching_up).toBe(0);
    expect(await note()).toBeNull();

    // Both slices' copies forgotten (as just after their commits): the answer counts them.
    await env.DB.prepare(`DELETE FROM partition_sync WHERE region = ? AND slice_id IN ('c-one', 'c-two')`).bind(R).run();
    expect((await items()).data.slices_catching_up).toBe(2);
    expect(await note()).toMatch(/^2 slices were committed/);
    // Another region's or version's slices are not this cell's.
    expect((await api(`/v1/regions/KE/items?model=${MODEL.id}&version=${MODEL.version}&limit=1`)).data.slices_catching_up).toBe(0);

    // The catch-up (cron or admin) copies them again and writes their watermarks.
    await waitFor(() => api('/v1/admin/partitions/sync', { method: 'POST' }), (x) => x.data.slices === 0);
    const after = await items();
    expect(after.data).toMatchObject({ total: a.length + b.length, slices_catching_up: 0 });
    expect(await note()).toBeNull();
  });
});
