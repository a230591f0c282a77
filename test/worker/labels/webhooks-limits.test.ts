// Bounded parked events (issue 12, defect 2): events naming an unknown region are refused (400,
// nothing stored), and a vendor may have at most MAX_PARKED_PER_VENDOR (1500 in the tests)
// events parked at once — a delivery that would park more is 429 with Retry-After and stores
// nothing; other vendors and deliveries that park nothing are not affected.
import { describe, it, expect, beforeAll } from 'vitest';
import { env } from 'cloudflare:workers';
import { item, submit } from '../helpers.ts';
import { expectError } from '../reference.ts';
import { createVendor, deliverStandard, ev, snapshot } from './webhooks-helpers.ts';

const CAP = 1500;
const R = 'PT';
const MODEL = { id: 'avlm-lim', version: '1', stage: 'sft' };
const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;
const parkedOf = (vendor: string) => count('SELECT count(*) AS n FROM pending_labels WHERE vendor = ?', vendor);
const ledgerHas = (vendor: string, id: string) => count('SELECT count(*) AS n FROM webhook_deliveries WHERE vendor = ? AND delivery_id = ?', vendor, id);
/** n events for an item of a slice not stored yet (all parked). */
const later = (n: number, slice = 'lim-later') => Array.from({ length: n }, (_, i) => ev(R, slice, 'x', i % 2 === 0, { annotator: `a${i}` }));

let a = '', b = '';
beforeAll(async () => {
  expect((await submit(R, { slice_id: 'lim-now', model: MODEL, items: [item('n1', { prediction: { score: 0.9 } })] })).status).toBe(201);
  a = await createVendor('lim-a');
  b = await createVendor('lim-b');
});

describe('events naming an unknown region', () => {
  it('are refused with 400 naming events[i].region; nothing stored', async () => {
    const before = await snapshot();
    const r = await deliverStandard('lim-a', a, [ev(R, 'lim-now', 'n1', false), ev('QQ', 'ghost', 'g', true)]);
    const e = expectError(r, 400, 'invalid_request');
    expect(e.message).toBe("events[1].region: unknown region 'QQ'");
    expect(e.details.field).toBe('events[1].region');
    expect(await snapshot()).toBe(before);
  });
});

describe('parked events per vendor are capped', () => {
  let refusedId = '';
  it('up to the cap they park; one more is 429 with Retry-After and stores nothing', async () => {
    expect((await deliverStandard('lim-a', a, later(1000))).data).toMatchObject({ parked: 1000 });
    expect((await deliverStandard('lim-a', a, later(CAP - 1000))).data).toMatchObject({ parked: CAP - 1000 });
    expect(await parkedOf('lim-a')).toBe(CAP);

    const before = await snapshot();
    const r = await deliverStandard('lim-a', a, [ev(R, 'lim-now', 'n1', false), ...later(1, 'other-later')]);
    const e = expectError(r, 429, 'too_many_parked');
    expect(e.message).toMatch(/^events: .*1500/);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await snapshot()).toBe(before); // not even the event on the stored item
    expect(await ledgerHas('lim-a', r.id)).toBe(0);
    refusedId = r.id;
  });

  it('another vendor parks, and the capped vendor still applies events that park nothing — also when sent together', async () => {
    const [other, capped, applied] = await Promise.all([
      deliverStandard('lim-b', b, later(3)),
      deliverStandard('lim-a', a, later(2)),
      deliverStandard('lim-a', a, [ev(R, 'lim-now', 'n1', true)]),
    ]);
    expect(other.data).toMatchObject({ duplicate: false, parked: 3 });
    expectError(capped, 429, 'too_many_parked');
    expect(applied.data).toMatchObject({ duplicate: false, applied: 1, parked: 0, relabelled: 1 });
    expect(await parkedOf('lim-a')).toBe(CAP);
    expect(await parkedOf('lim-b')).toBe(3);
  });

  it('once the parked events are applied (their slice arrived), the refused delivery goes through on retry', async () => {
    expect((await submit(R, { slice_id: 'lim-later', model: MODEL, items: [item('x')] })).status).toBe(201);
    expect(await parkedOf('lim-a')).toBe(0);
    const retry = await deliverStandard('lim-a', a, [ev(R, 'lim-now', 'n1', false), ...later(1, 'other-later')], { id: refusedId });
    expect(retry.status).toBe(200);
    expect(retry.data).toMatchObject({ delivery_id: refusedId, duplicate: false, applied: 1, parked: 1, relabelled: 1 });
  });
});
