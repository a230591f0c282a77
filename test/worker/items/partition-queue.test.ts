// Partition syncs arrive in batches (their own queue): a batch syncs each slice once — the
// whole slice when any message asks for it, else the union of the items named — and every
// message of a slice is acked or retried with it.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api } from '../helpers.ts';
import { handlePartitionSyncs } from '../../../functions/store/partition/sync-consumer.ts';
import type { Bindings } from '../../../functions/env.ts';
import { submitWorld, waitFor } from './world.ts';

const MODEL = { id: 'itq', version: '1', stage: 'sft' };
const R = 'UG';

describe('partition sync batches', () => {
  it('one sync per slice per batch, over the union of the items its messages name', async () => {
    const a = await submitWorld(R, 'q-a', MODEL, 20);
    const b = await submitWorld(R, 'q-b', MODEL, 10, 3);
    await waitFor(() => api(`/v1/regions/${R}/items?model=itq&version=1&limit=1`), (r) => r.data.total === a.length + b.length);

    // Count the syncs: each sync of a slice first looks the slice up (committedSlice).
    let lookups = 0;
    const db = new Proxy(env.DB, {
      get(t, k) {
        if (k === 'prepare') return (sql: string) => { if (/FROM slices s\b/.test(sql) && /slice_id = \?/.test(sql)) lookups++; return t.prepare(sql); };
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const ids = a.map((e) => e.item_id);
    const msgs = [
      { kind: 'partition-sync' as const, region: R, sliceId: 'q-a', itemIds: ids.slice(0, 3) },
      { kind: 'partition-sync' as const, region: R, sliceId: 'q-b' },
      { kind: 'partition-sync' as const, region: R, sliceId: 'q-a', itemIds: ids.slice(2, 6) },
      { kind: 'partition-sync' as const, region: R, sliceId: 'q-b', itemIds: [b[0].item_id] },
      { kind: 'partition-sync' as const, region: R, sliceId: 'no-such-slice', itemIds: ['x'] },
    ];
    const out = await handlePartitionSyncs({ ...(env as unknown as Bindings), DB: db as D1Database }, msgs);
    expect(out.map((g) => g.indexes)).toEqual([[0, 2], [1, 3], [4]]);
    expect(out.every((g) => g.error === undefined)).toBe(true);
    expect(lookups).toBe(3);
    const after = await api(`/v1/regions/${R}/items?model=itq&version=1&limit=1`);
    expect(after.data.total).toBe(a.length + b.length);
  });
});
