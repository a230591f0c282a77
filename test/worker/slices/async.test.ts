// The asynchronous path end to end (SPEC §8): an NDJSON body above ASYNC_INGEST_BYTES (200 KB
// in tests) of unknown length (sent chunked: no content-length) is validated while it streams
// into R2, answered 202, diagnosed by the queue consumer and committed; the R2 object is
// deleted afterwards; a resubmission is 200. (Bodies of known length up to STREAM_INGEST_BYTES
// are stored within the request instead: slices-stream.test.ts.)
import { describe, it, expect } from 'vitest';
import { api, chunked } from '../helpers.ts';
import { bigItem, bigSliceBody, BIG_EXPECTED as EXPECTED, BIG_N as N } from '../big-slice.ts';
import { expectError, expectRate, r2Keys, rows, uid, waitForSlice } from '../reference.ts';

const REGION = 'FR';
const MODEL = { id: 'avlm-async', version: '4', stage: 'production' } as const;
const bigBody = (sliceId: string, n?: number) => bigSliceBody(sliceId, MODEL, n);

const post = (body: string) => api(`/v1/regions/${REGION}/slices`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: chunked(body) });

describe('a slice above 200 KB', () => {
  const sliceId = 'async-big';
  const body = bigBody(sliceId);

  it('is large enough to go asynchronously', () => {
    expect(new TextEncoder().encode(body).byteLength).toBeGreaterThan(200_000);
  });

  it('→ 202 processing, then complete with the hand-counted summary; the R2 object is deleted', async () => {
    const r = await post(body);
    expect(r.status, JSON.stringify(r.data)).toBe(202);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'processing' });

    const done = await waitForSlice(REGION, sliceId);
    expect(done.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    expect(await r2Keys()).toEqual([]);
    const [row] = await rows<{ r2_key: string | null; owner: string | null; buckets: number }>('SELECT r2_key, owner, buckets FROM slices WHERE region = ? AND slice_id = ?', REGION, sliceId);
    expect(row.owner).toBeNull();
    expect(row.buckets).toBeGreaterThan(1); // items spread over several buckets
  });

  it('item lookups work after completion, with unknown fields kept', async () => {
    const get = async (id: string) => {
      const r = await api(`/v1/regions/${REGION}/slices/${sliceId}/items/${id}`);
      expect(r.status, id).toBe(200);
      return r.data;
    };
    for (const i of [0, 1, 2, 3, 4, 999, 1999]) {
      const d = await get(`b-${i}`);
      expect(d.item).toEqual(bigItem(i));
    }
    expect(await get('b-0')).toMatchObject({ outcome: 'FN', primary: 'UNPROBED' });
    expect(await get('b-1')).toMatchObject({ outcome: 'FP', primary: 'THR.MARGIN' });
    expect(await get('b-2')).toMatchObject({ outcome: 'pending', primary: null });
    expect(await get('b-3')).toMatchObject({ outcome: 'FP', primary: 'LBL.AMBIG', excluded: true });
    expect(await get('b-4')).toMatchObject({ outcome: 'TN', primary: null });
    expect(await get('live-2')).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect((await get('live-2')).secondary[0].evidence).toMatchObject({ stream_id: 'fr-stream', segment: 2, prev_decision: true, next_decision: true });
    expect(await get('live-1')).toMatchObject({ outcome: 'TP', primary: null });
    expectError(await api(`/v1/regions/${REGION}/slices/${sliceId}/items/b-${N}`), 404, 'not_found');
  });

  it('the scorecard holds the slice once, with hand-computed rates', async () => {
    const r = await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=${MODEL.version}`);
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ items: EXPECTED.items, failures: EXPECTED.failures, excluded: 40, pending: 200 });
    const n = EXPECTED.items - 40 - 200; // 1765
    expectRate(r.data.failure_rate, EXPECTED.failures - 40, n);
    expect(r.data.outcomes).toEqual({ tp: 4, tn: 2000 - 200 - 200 - 200 - 40, fp: 240, fn: 201 });
  });

  it('resubmitting the same body after completion → 200 with the same summary, no double count, no R2 object left', async () => {
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    expect(await r2Keys()).toEqual([]);
    const sc = await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=${MODEL.version}`);
    expect(sc.data.items).toBe(EXPECTED.items);
    const [commits] = await rows<{ n: number }>('SELECT count(*) AS n FROM slice_commits WHERE slice_pk IN (SELECT pk FROM slices WHERE slice_id = ?)', sliceId);
    expect(commits.n).toBe(1);
  });

  it('other content under the same slice_id → 409, and no R2 object is left', async () => {
    const r = await post(bigBody(sliceId, N + 1));
    const e = expectError(r, 409, 'conflict');
    expect(e.message).toContain('slice_id');
    expect(await r2Keys()).toEqual([]);
  });
});

describe('duplicate large submissions', () => {
  it('three identical bodies in a row → 202 each while processing (or 200 once done); processed once', async () => {
    const sliceId = uid('async-dup');
    const body = bigBody(sliceId);
    const model = MODEL;
    const before = (await api(`/v1/regions/${REGION}/scorecard?model=${model.id}&version=${model.version}`)).data.items as number;
    const results = await Promise.all([post(body), post(body), post(body)]);
    for (const r of results) {
      expect([200, 202]).toContain(r.status);
      if (r.status === 202) expect(r.data).toEqual({ slice_id: sliceId, status: 'processing' });
    }
    expect(results[0].status).toBe(202);
    const done = await waitForSlice(REGION, sliceId);
    expect(done.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    const after = (await api(`/v1/regions/${REGION}/scorecard?model=${model.id}&version=${model.version}`)).data.items as number;
    expect(after - before).toBe(EXPECTED.items);
    expect(await r2Keys()).toEqual([]);
  });

  it('a slice whose model version has another stage is rejected at submission (409), before anything is uploaded', async () => {
    const sliceId = uid('async-stage');
    const body = bigBody(sliceId).replace('"stage":"production"', '"stage":"pretrain"');
    const e = expectError(await post(body), 409, 'conflict');
    expect(e.message).toContain('model.stage');
    expect(await r2Keys()).toEqual([]);
    expectError(await api(`/v1/regions/${REGION}/slices/${sliceId}`), 404);
  });
});
