// GET /v1/regions/{region}/items (SPEC §10) over the item partitions: pages walked with a small
// limit equal a listing computed here from the submitted items (never a skip or a repeat), each
// cell's total equals the scorecard's count, a label delivery moves an item between cells once
// the queue has synced it, exports equal the union of pages, bad filters are 400s naming them.
import { describe, it, expect, beforeAll } from 'vitest';
import { parse } from 'csv-parse/sync';
import { api, createKey } from '../helpers.ts';
import { createVendor, deliverStandard, ev } from '../labels/webhooks-helpers.ts';
import { inOrder, submitWorld, waitFor, walk, type Expected } from './world.ts';

const MODEL = { id: 'itm', version: '3', stage: 'sft' };
const R = 'KE';
const base = (q = '') => `/v1/regions/${R}/items?model=${MODEL.id}&version=${MODEL.version}${q}`;
const pick = (xs: any[]) => xs.map((x) => `${x.slice_id}/${x.item_id}/${x.policy}/${x.outcome}/${x.primary}`);
let all: Expected[] = [];

beforeAll(async () => {
  const s1 = await submitWorld(R, 'a-first', MODEL, 61);
  await new Promise((r) => setTimeout(r, 5)); // distinct created_at
  const s2 = await submitWorld(R, 'b-second', MODEL, 50, 3);
  all = inOrder([s1, s2]);
  // The partition is fed through the queue after each commit.
  const r = await waitFor(() => api(base('&limit=1')), (x) => x.data?.total === all.length);
  expect(r.data.total).toBe(all.length);
});

describe('items of a cell', () => {
  it('pages of 7 walk every item once, in order, equal to the list computed from the submission', async () => {
    const { items, totals } = await walk(base(), 7);
    expect(totals).toEqual([all.length]);
    expect(pick(items)).toEqual(pick(all));
    const first = items.find((x) => x.item_id === all[0].item_id && x.slice_id === all[0].slice_id);
    expect(first).toMatchObject({ threshold: 0.5, language: 'pt-BR', surface: 'vod' });
  });

  it('every filter selects exactly its cell, in order, and each page reports its exact total', async () => {
    const cells: Array<[string, (e: Expected) => boolean]> = [
      ['&policy=hate.slur', (e) => e.policy === 'hate.slur'],
      ['&outcome=FN', (e) => e.outcome === 'FN'],
      ['&outcome=pending', (e) => e.outcome === 'pending'],
      ['&signature=FUS.SUPPRESS', (e) => e.primary?.startsWith('FUS.SUPPRESS.') === true],
      ['&signature=FUS.SUPPRESS.audio&policy=spam.scam', (e) => e.primary === 'FUS.SUPPRESS.audio' && e.policy === 'spam.scam'],
      ['&slice_id=b-second&outcome=FP', (e) => e.slice_id === 'b-second' && e.outcome === 'FP'],
      ['&signature=THR.MARGIN&policy=violence.graphic&outcome=FP', (e) => e.primary === 'THR.MARGIN' && e.policy === 'violence.graphic'],
    ];
    for (const [q, f] of cells) {
      const want = all.filter(f);
      expect(want.length, q).toBeGreaterThan(0);
      const { items, totals } = await walk(base(q), 7);
      expect(pick(items), q).toEqual(pick(want));
      expect(totals, q).toEqual([want.length]);
    }
  });

  it("a (policy, signature) cell's total is the scorecard's count of it, an outcome cell's the scorecard's outcome count", async () => {
    const sc = (await api(`/v1/regions/${R}/scorecard?model=${MODEL.id}&version=${MODEL.version}`)).data;
    let checked = 0;
    for (const p of sc.by_policy) {
      for (const s of p.by_signature) {
        const r = await api(base(`&policy=${p.policy}&signature=${s.code}&limit=1`));
        expect(r.data.total, `${p.policy} ${s.code}`).toBe(s.count);
        checked++;
      }
      const fam = p.by_signature.filter((s: any) => s.code.startsWith('FUS.SUPPRESS.')).reduce((t: number, s: any) => t + s.count, 0);
      expect((await api(base(`&policy=${p.policy}&signature=FUS.SUPPRESS&limit=1`))).data.total).toBe(fam);
      for (const o of ['tp', 'tn', 'fp', 'fn'] as const) {
        expect((await api(base(`&policy=${p.policy}&outcome=${o.toUpperCase()}&limit=1`))).data.total, `${p.policy} ${o}`).toBe(p.outcomes[o]);
      }
      expect((await api(base(`&policy=${p.policy}&outcome=pending&limit=1`))).data.total).toBe(p.pending);
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });

  it('an unknown model or version has no items (200, total 0); bad filters are 400s naming the field', async () => {
    const none = await api(`/v1/regions/${R}/items?model=${MODEL.id}&version=nope`);
    expect(none.status).toBe(200);
    expect(none.data).toEqual({ total: 0, items: [], next_cursor: null, slices_catching_up: 0 });
    for (const [q, field] of [
      ['&outcome=MAYBE', 'outcome'], ['&signature=NOT.A.CODE', 'signature'], ['&policy=no.such', 'policy'],
      ['&limit=0', 'limit'], ['&limit=1001', 'limit'], ['&cursor=%25%25', 'cursor'], ['&format=xml', 'format'],
    ] as const) {
      const r = await api(base(q));
      expect(r.status, q).toBe(400);
      expect(r.data.error.code).toBe('invalid_request');
      expect(r.data.error.message.startsWith(`${field}:`), `${q}: ${r.data.error.message}`).toBe(true);
    }
    const model = await api(`/v1/regions/${R}/items?version=3`);
    expect(model.status).toBe(400);
    expect(model.data.error.message).toMatch(/^model:/);
  });

  it('a key outside the region gets 403 and no item; a read key of the region reads', async () => {
    const out = await createKey(['NG'], ['read']);
    const r = await api(base(), { token: out });
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.data)).not.toContain('it-');
    const mine = await createKey([R], ['read']);
    expect((await api(base('&limit=3'), { token: mine })).data.total).toBe(all.length);
  });

  it('export: CSV and NDJSON hold exactly the union of the pages, in order (every column)', async () => {
    const q = '&outcome=FN';
    const { items } = await walk(base(q), 7);
    const csv = await api(base(`${q}&format=csv`));
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse(csv.data as string, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(['slice_id', 'item_id', 'policy', 'outcome', 'primary', 'secondary', 'score', 'threshold', 'language', 'surface']);
    expect(rows.map((r) => ({ ...r, score: Number(r.score), threshold: Number(r.threshold) }))).toEqual(items.map((x) => ({
      slice_id: x.slice_id, item_id: x.item_id, policy: x.policy, outcome: x.outcome, primary: x.primary ?? '',
      secondary: expect.stringContaining(x.primary), score: x.score, threshold: x.threshold, language: x.language ?? '', surface: x.surface,
    })));
    const nd = await api(base(`${q}&format=ndjson`));
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (nd.data as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map(({ secondary, ...x }) => x)).toEqual(items);
    expect(lines.every((l) => Array.isArray(l.secondary) && l.secondary.includes(l.primary))).toBe(true);
    // The whole region × version, more than one export page would not be needed here: every item.
    const every = await api(base('&format=ndjson'));
    expect((every.data as string).trim().split('\n').length).toBe(all.length);
  });

  it('a label delivery moves an item from the FP cell to the TP cell once the queue has synced it', async () => {
    const secret = await createVendor('itm-vendor');
    const fp = all.find((e) => e.outcome === 'FP' && e.primary === 'UNEXPLAINED')!;
    const cell = (o: string) => base(`&policy=${fp.policy}&outcome=${o}&limit=1000`);
    const before = (await api(cell('TP'))).data.total;
    // Score 0.9 ≥ 0.5 and now violating: a TP.
    const r = await deliverStandard('itm-vendor', secret, [ev(R, fp.slice_id, fp.item_id, true)]);
    expect(r.status).toBe(200);
    expect(r.data.items_changed).toBe(1);
    const tp = await waitFor(() => api(cell('TP')), (x) => x.data.items.some((i: any) => i.item_id === fp.item_id && i.slice_id === fp.slice_id));
    expect(tp.data.total).toBe(before + 1);
    expect(tp.data.items.find((i: any) => i.item_id === fp.item_id && i.slice_id === fp.slice_id)).toMatchObject({ outcome: 'TP', primary: null });
    const fpCell = await api(cell('FP'));
    expect(fpCell.data.items.some((i: any) => i.item_id === fp.item_id && i.slice_id === fp.slice_id)).toBe(false);
    const sc = (await api(`/v1/regions/${R}/scorecard?model=${MODEL.id}&version=${MODEL.version}`)).data;
    const pol = sc.by_policy.find((p: any) => p.policy === fp.policy);
    expect(tp.data.total).toBe(pol.outcomes.tp);
    expect(fpCell.data.total).toBe(pol.outcomes.fp);
  });
});
