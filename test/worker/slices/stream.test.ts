// The streamed path (SPEC §8): an NDJSON body above ASYNC_INGEST_BYTES (200 KB in tests) of
// known length up to STREAM_INGEST_BYTES (2 MB in tests) is validated, diagnosed and stored
// while it streams, within the request → 201. A bad line found half way undoes everything
// written; a slice_id already taken goes the hashed way (R2 + queue), whose claim compares
// content; a stream that died before its commit is taken over, or swept by the cron.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, chunked, postHeldBack } from '../helpers.ts';
import { bigItem, bigSliceBody, BIG_EXPECTED as EXPECTED } from '../big-slice.ts';
import { expectError, expectRate, r2Keys, rows, sha256Hex, storedFor, uid, waitForSlice } from '../reference.ts';
import { LEASE_MS, sweepAbandonedStreams } from '../../../functions/ingest/claim.ts';

/** STREAM_LEASE_SECONDS in the tests' config: a streamed claim not renewed for 2 s is dead. */
const STREAM_LEASE_MS = 2_000;

const REGION = 'IT';
const MODEL = { id: 'avlm-stream', version: '1', stage: 'production' } as const;
const body = (sliceId: string, n?: number) => bigSliceBody(sliceId, MODEL, n);
const post = (b: string | ReadableStream<Uint8Array>) => api(`/v1/regions/${REGION}/slices`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: b });
const scorecard = async () => (await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=${MODEL.version}`)).data;
const sliceRow = async (sliceId: string) => (await rows<{ pk: number; status: string; owner: string | null; content_hash: string | null; buckets: number }>(
  'SELECT pk, status, owner, content_hash, buckets FROM slices WHERE region = ? AND slice_id = ?', REGION, sliceId))[0];
const chunkCount = async (pk: number) => (await rows<{ n: number }>('SELECT count(*) AS n FROM item_chunks WHERE slice_pk = ?', pk))[0].n;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A slices row as a streamed submission leaves it when it dies before its commit, with junk parts. */
async function abandonedStream(sliceId: string, updatedAt: string, junkParts = 3): Promise<number> {
  const [r] = (await env.DB.prepare(
    `INSERT INTO slices (region, slice_id, model_id, model_version, model_stage, content_hash, status, owner, buckets, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, NULL, 'processing', 'dead-owner', 1, ?, ?) RETURNING pk`,
  ).bind(REGION, sliceId, MODEL.id, MODEL.version, MODEL.stage, updatedAt, updatedAt).all<{ pk: number }>()).results;
  for (let p = 0; p < junkParts; p++) {
    await env.DB.prepare('INSERT INTO item_chunks (slice_pk, bucket, part, n, data) VALUES (?, ?, 0, 1, ?)')
      .bind(r.pk, 100 + p, JSON.stringify([{ d: { outcome: 'TN' }, t: 0.5, i: { item_id: `junk-${p}` } }])).run();
  }
  return r.pk;
}

describe('a 340 KB slice of known length', () => {
  const sliceId = 'stream-big';
  const text = body(sliceId);

  it('sits between the read-whole and the queued sizes', () => {
    const n = new TextEncoder().encode(text).byteLength;
    expect(n).toBeGreaterThan(200_000);
    expect(n).toBeLessThan(2_000_000);
  });

  it('→ 201 with the hand-counted summary, in the request: nothing in R2, no queue; the row holds the body\'s hash', async () => {
    const r = await post(text);
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    expect(await r2Keys()).toEqual([]);
    const row = await sliceRow(sliceId);
    expect(row).toMatchObject({ status: 'complete', owner: null, content_hash: await sha256Hex(text) });
    expect(row.buckets).toBeGreaterThan(1);
    expect(await chunkCount(row.pk)).toBeGreaterThan(row.buckets - 1);
  });

  it('items are stored as submitted and diagnosed (the flip across the out-of-order stream too)', async () => {
    const get = async (id: string) => (await api(`/v1/regions/${REGION}/slices/${sliceId}/items/${id}`)).data;
    for (const i of [0, 1, 2, 3, 1999]) expect((await get(`b-${i}`)).item).toEqual(bigItem(i));
    expect(await get('b-0')).toMatchObject({ outcome: 'FN', primary: 'UNPROBED' });
    expect(await get('b-3')).toMatchObject({ outcome: 'FP', primary: 'LBL.AMBIG', excluded: true });
    expect(await get('live-2')).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect(await get('live-1')).toMatchObject({ outcome: 'TP', primary: null });
  });

  it('the scorecard holds it once, with hand-computed rates', async () => {
    const sc = await scorecard();
    expect(sc).toMatchObject({ items: EXPECTED.items, failures: EXPECTED.failures, excluded: 40, pending: 200 });
    expectRate(sc.failure_rate, EXPECTED.failures - 40, EXPECTED.items - 40 - 200);
  });

  it('the same body again → 200 with the same summary; counted once; nothing left in R2', async () => {
    const r = await post(text);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    expect((await scorecard()).items).toBe(EXPECTED.items);
    const [c] = await rows<{ n: number }>('SELECT count(*) AS n FROM slice_commits WHERE slice_pk = ?', (await sliceRow(sliceId)).pk);
    expect(c.n).toBe(1);
    expect(await r2Keys()).toEqual([]);
  });

  it('other content under the same slice_id → 409 naming slice_id; nothing changes, nothing left in R2', async () => {
    const e = expectError(await post(body(sliceId, 1999)), 409, 'conflict');
    expect(e.message).toContain('slice_id');
    expect((await scorecard()).items).toBe(EXPECTED.items);
    expect(await r2Keys()).toEqual([]);
  });
});

describe('bad input found half way', () => {
  it.each([
    ['a score outside [0, 1] on line 1500', (t: string) => { const ls = t.split('\n'); ls[1499] = ls[1499].replace('"score":0.1', '"score":1.5'); return ls.join('\n'); }, 'invalid_slice', /^line 1500: prediction\.score: /],
    ['malformed JSON on the last line', (t: string) => `${t}{"item_id": "broken"\n`, 'malformed_json', /^line 2007: malformed JSON/],
    ['a duplicate item_id near the end', (t: string) => `${t}${JSON.stringify(bigItem(5))}\n`, 'invalid_slice', /^line 2007: item_id: /],
  ])('%s → 400 naming the line; nothing of the slice stays stored; the slice_id is free again', async (_n, spoil, code, message) => {
    const sliceId = uid('stream-bad');
    const before = await storedFor(REGION, MODEL.id);
    const r = await post(spoil(body(sliceId)));
    const e = expectError(r, 400, code);
    expect(e.message).toMatch(message);
    expect(await storedFor(REGION, MODEL.id)).toEqual(before);
    expect(await sliceRow(sliceId)).toBeUndefined();
    expectError(await api(`/v1/regions/${REGION}/slices/${sliceId}`), 404);
    // Parts had been written before the bad line: all of them are gone.
    const [orphans] = await rows<{ n: number }>('SELECT count(*) AS n FROM item_chunks WHERE slice_pk NOT IN (SELECT pk FROM slices)');
    expect(orphans.n).toBe(0);
    const ok = await post(body(sliceId));
    expect(ok.status).toBe(201);
    expect(ok.data).toMatchObject({ items: EXPECTED.items, failures: EXPECTED.failures });
  });

  it('parts already in D1 when the bad line arrives are deleted (observed mid-stream)', async () => {
    const sliceId = uid('stream-late');
    const before = await storedFor(REGION, MODEL.id);
    const text = body(sliceId, 7000); // ~1.4 MB: > 1 MB of records, so part batches go out early
    const bad = '{"item_id": "b-1", "surface": "vod"}\n';
    expect(new TextEncoder().encode(text + bad).length).toBeLessThan(2_000_000); // still the streamed path
    // The bad last line is held back until parts of the slice are in D1.
    const held = postHeldBack(`/v1/regions/${REGION}/slices`, text + bad, bad.length, { 'content-type': 'application/x-ndjson' });
    await held.sent;
    let written = 0;
    for (let t = 0; t < 200 && written === 0; t++) {
      written = (await rows<{ n: number }>('SELECT count(*) AS n FROM item_chunks WHERE slice_pk IN (SELECT pk FROM slices WHERE slice_id = ?)', sliceId))[0].n;
      if (!written) await new Promise((r) => setTimeout(r, 10));
    }
    expect(written).toBeGreaterThan(0);
    await held.release();
    const pending = held.response;
    const e = expectError(await pending, 400, 'invalid_slice');
    expect(e.message).toMatch(/^line 7007: /);
    expect(await storedFor(REGION, MODEL.id)).toEqual(before);
    expect(await sliceRow(sliceId)).toBeUndefined();
  });

  it('a header without model → 400 naming line 1 and model; blank lines before a good header are skipped', async () => {
    const sliceId = uid('stream-head');
    const before = await storedFor(REGION, MODEL.id);
    const text = body(sliceId);
    const noModel = text.replace(/^[^\n]*\n/, `${JSON.stringify({ slice_id: sliceId })}\n`);
    const e = expectError(await post(noModel), 400);
    expect(e.message).toMatch(/^line 1: model: required/);
    expect(await storedFor(REGION, MODEL.id)).toEqual(before);
    const r = await post(`\n  \n${text}`);
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(r.data.items).toBe(EXPECTED.items);
  });

  it('a model version registered with another stage → 409 naming model.stage before anything is stored', async () => {
    const sliceId = uid('stream-stage');
    const before = await storedFor(REGION, MODEL.id);
    const e = expectError(await post(body(sliceId).replace('"stage":"production"', '"stage":"pretrain"')), 409, 'conflict');
    expect(e.message).toContain('model.stage');
    expect(await storedFor(REGION, MODEL.id)).toEqual(before);
  });
});

describe('concurrent and abandoned streams', () => {
  it('three identical bodies at once → one 201, the others 202 or 200; counted once; nothing left in R2', async () => {
    const sliceId = uid('stream-dup');
    const text = body(sliceId);
    const before = (await scorecard()).items as number;
    const rs = await Promise.all([post(text), post(text), post(text)]);
    expect(rs.map((r) => r.status).filter((s) => s === 201)).toHaveLength(1);
    for (const r of rs) {
      expect([200, 201, 202]).toContain(r.status);
      if (r.status === 202) expect(r.data).toEqual({ slice_id: sliceId, status: 'processing' });
      else expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    }
    expect((await waitForSlice(REGION, sliceId)).data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
    expect((await scorecard()).items - before).toBe(EXPECTED.items);
    expect(await r2Keys()).toEqual([]);
  });

  it('a stream silent for more than its lease (not the 10-minute one of hashed claims) is taken over: its parts are deleted, the new body stored', async () => {
    const sliceId = uid('stream-dead');
    const pk = await abandonedStream(sliceId, ago(STREAM_LEASE_MS + 1_000));
    const r = await post(body(sliceId));
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(r.data).toMatchObject({ items: EXPECTED.items, failures: EXPECTED.failures });
    const row = await sliceRow(sliceId);
    expect(row.pk).toBe(pk);
    expect(row.buckets).toBeGreaterThan(1); // the new body's bucket count, not the dead stream's 1
    const [junk] = await rows<{ n: number }>(`SELECT count(*) AS n FROM item_chunks WHERE slice_pk = ? AND data LIKE '%junk-%'`, pk);
    expect(junk.n).toBe(0);
    const [stored] = await rows<{ n: number }>('SELECT sum(n) AS n FROM item_chunks WHERE slice_pk = ?', pk);
    expect(stored.n).toBe(EXPECTED.items);
  });

  it('a dead stream is also taken over by a body of unknown length (R2 + queue), junk parts deleted', async () => {
    const sliceId = uid('stream-dead-q');
    const pk = await abandonedStream(sliceId, ago(STREAM_LEASE_MS + 1_000));
    const r = await post(chunked(body(sliceId)));
    expect(r.status, JSON.stringify(r.data)).toBe(202);
    expect((await waitForSlice(REGION, sliceId)).data).toMatchObject({ status: 'complete', items: EXPECTED.items });
    const [stored] = await rows<{ n: number }>('SELECT sum(n) AS n FROM item_chunks WHERE slice_pk = ?', pk);
    expect(stored.n).toBe(EXPECTED.items);
    expect(await r2Keys()).toEqual([]);
  });

  it('a submission meeting a stream within its lease waits; when that stream goes silent past its lease, it takes over (via R2 and the queue)', async () => {
    const sliceId = uid('stream-live');
    const pk = await abandonedStream(sliceId, ago(500));
    const t0 = Date.now();
    const r = await post(body(sliceId));
    expect(r.status, JSON.stringify(r.data)).toBe(202);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000); // it waited for the lease to run out
    expect((await waitForSlice(REGION, sliceId)).data).toMatchObject({ status: 'complete', items: EXPECTED.items });
    const [junk] = await rows<{ n: number }>(`SELECT count(*) AS n FROM item_chunks WHERE slice_pk = ? AND data LIKE '%junk-%'`, pk);
    expect(junk.n).toBe(0);
    expect(await r2Keys()).toEqual([]);
  });

  it('a stream whose claim was taken over while it stalled writes no more parts, and answers 409', async () => {
    const sliceId = uid('stream-lost');
    const text = body(sliceId, 7000); // ~1.4 MB: its parts go out in more than one batch
    const held = postHeldBack(`/v1/regions/${REGION}/slices`, text, text.length - 400_000, { 'content-type': 'application/x-ndjson' });
    await held.sent;
    let row: Awaited<ReturnType<typeof sliceRow>> | undefined;
    for (let t = 0; t < 200 && !row; t++) {
      row = await sliceRow(sliceId);
      if (!row) await new Promise((r) => setTimeout(r, 10));
    }
    expect(row).toMatchObject({ status: 'processing', content_hash: null });
    expect(await chunkCount(row!.pk)).toBe(0); // nothing written yet (< 1 MB of records read)
    // Another submission takes the slice over (as after a stall past the lease).
    await env.DB.prepare(`UPDATE slices SET owner = 'the-new-owner' WHERE pk = ?`).bind(row!.pk).run();
    await held.release();
    const e = expectError(await held.response, 409, 'conflict');
    expect(e.message).toMatch(/^slice_id: /);
    expect(await chunkCount(row!.pk)).toBe(0);
    expect(await sliceRow(sliceId)).toMatchObject({ status: 'processing', owner: 'the-new-owner' });
  });

  it('the cron sweeps streams silent for 10 minutes (row and parts), and nothing else', async () => {
    const old = uid('stream-old');
    const recent = uid('stream-recent');
    const oldPk = await abandonedStream(old, ago(LEASE_MS + 60_000));
    const recentPk = await abandonedStream(recent, ago(60_000));
    const done = await sliceRow('stream-big');
    const doneChunks = await chunkCount(done.pk);
    expect(await sweepAbandonedStreams(env.DB)).toBeGreaterThanOrEqual(1);
    expect(await sliceRow(old)).toBeUndefined();
    expect(await chunkCount(oldPk)).toBe(0);
    expect(await sliceRow(recent)).toMatchObject({ status: 'processing' });
    expect(await chunkCount(recentPk)).toBe(3);
    expect(await chunkCount(done.pk)).toBe(doneChunks);
  });
});
