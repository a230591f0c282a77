// Idempotency on slice_id (SPEC §8): the same body again → 200 with the same result and no
// double count; other content under the same slice_id → 409; concurrent duplicates store the
// slice once; a model version keeps the stage it was first seen with (409 naming model.stage).
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { api, submit } from '../helpers.ts';
import { submitSlice } from '../../../functions/ingest/submit.ts';
import { ApiError } from '../../../functions/lib/errors.ts';
import { expectError, rows, uid } from '../reference.ts';

const REGION = 'CO';

const items = (n: number, failEvery = 3) => Array.from({ length: n }, (_, i) => ({
  item_id: `i-${i}`, surface: 'vod', policy: 'violence.graphic',
  label: { violating: i % failEvery === 0 }, prediction: { score: 0.2 },
}));

const scorecardOf = async (model: { id: string; version: string }) => {
  const r = await api(`/v1/regions/${REGION}/scorecard?model=${model.id}&version=${model.version}`);
  expect(r.status, JSON.stringify(r.data)).toBe(200);
  return r.data;
};

const freshModel = () => ({ id: uid('avlm-idem'), version: '1', stage: 'sft' as const });

describe.each([['JSON', false], ['NDJSON', true]] as const)('same body twice (%s)', (_n, asNdjson) => {
  it('→ 201 then 200 with the identical summary; the scorecard counts it once', async () => {
    const model = freshModel();
    const body = { slice_id: uid('twice'), model, items: items(12) };
    const first = await submit(REGION, body, { ndjson: asNdjson });
    expect(first.status).toBe(201);
    // 12 items, violating at i = 0, 3, 6, 9 → 4 FN at score 0.2 (UNPROBED), 8 TN.
    expect(first.data).toEqual({ slice_id: body.slice_id, status: 'complete', items: 12, failures: 4, excluded: 0, pending: 0, by_signature: { UNPROBED: 4 } });

    const second = await submit(REGION, body, { ndjson: asNdjson });
    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    const third = await submit(REGION, body, { ndjson: asNdjson });
    expect(third.status).toBe(200);
    expect(third.data).toEqual(first.data);

    const sc = await scorecardOf(model);
    expect(sc).toMatchObject({ items: 12, failures: 4, excluded: 0, pending: 0 });
    expect(sc.outcomes).toEqual({ tp: 0, tn: 8, fp: 0, fn: 4 });
    expect(await rows('SELECT pk FROM slices WHERE region = ? AND slice_id = ?', REGION, body.slice_id)).toHaveLength(1);
  });
});

describe('same slice_id, other content', () => {
  it('→ 409 naming slice_id; the stored slice and the scorecard are unchanged; the original content still gets 200', async () => {
    const model = freshModel();
    const sliceId = uid('conflict');
    const original = { slice_id: sliceId, model, items: items(6) };
    const first = await submit(REGION, original);
    expect(first.status).toBe(201);
    const before = await scorecardOf(model);

    const variants = [
      { ...original, items: items(7) }, // one more item
      { ...original, items: items(6, 2) }, // other labels
      { ...original, model: { ...model, version: '2' } }, // other model version
    ];
    for (const v of variants) {
      const r = await submit(REGION, v);
      const e = expectError(r, 409, 'conflict');
      expect(e.message).toContain('slice_id');
      expect(e.message).toContain(sliceId);
    }
    // The same content as NDJSON is a different body, also a conflict.
    expectError(await submit(REGION, original, { ndjson: true }), 409, 'conflict');

    expect((await api(`/v1/regions/${REGION}/slices/${sliceId}`)).data).toEqual(first.data);
    expect(await scorecardOf(model)).toEqual(before);
    expect((await api(`/v1/regions/${REGION}/scorecard?model=${model.id}&version=2`)).status).toBe(404);

    const again = await submit(REGION, original);
    expect(again.status).toBe(200);
    expect(again.data).toEqual(first.data);
  });

  it('the same slice_id in another region is another slice', async () => {
    const model = freshModel();
    const sliceId = uid('two-regions');
    const a = await submit(REGION, { slice_id: sliceId, model, items: items(3) });
    const b = await submit('PE', { slice_id: sliceId, model, items: items(5) });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.data.items).toBe(3);
    expect(b.data.items).toBe(5);
    expect((await api(`/v1/regions/PE/slices/${sliceId}`)).data.items).toBe(5);
  });
});

describe('concurrent duplicate submissions', () => {
  it.each([['JSON', false], ['NDJSON', true]] as const)('5 identical %s requests at once → exactly one 201, the rest 200 or 202; counted once', async (_n, asNdjson) => {
    const model = freshModel();
    const body = { slice_id: uid('race'), model, items: items(300) };
    const results = await Promise.all(Array.from({ length: 5 }, () => submit(REGION, body, { ndjson: asNdjson })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201), JSON.stringify(statuses)).toHaveLength(1);
    for (const r of results) {
      expect([200, 201, 202]).toContain(r.status);
      if (r.status === 202) expect(r.data).toEqual({ slice_id: body.slice_id, status: 'processing' });
    }
    const created = results.find((r) => r.status === 201)!.data;
    // 300 items, violating every third → 100 FN.
    expect(created).toEqual({ slice_id: body.slice_id, status: 'complete', items: 300, failures: 100, excluded: 0, pending: 0, by_signature: { UNPROBED: 100 } });
    for (const r of results.filter((x) => x.status === 200)) expect(r.data).toEqual(created);

    expect((await api(`/v1/regions/${REGION}/slices/${body.slice_id}`)).data).toEqual(created);
    const sc = await scorecardOf(model);
    expect(sc).toMatchObject({ items: 300, failures: 100 });
    const [commits] = await rows<{ n: number }>(
      'SELECT count(*) AS n FROM slice_commits WHERE slice_pk IN (SELECT pk FROM slices WHERE region = ? AND slice_id = ?)', REGION, body.slice_id);
    expect(commits.n).toBe(1);
    // A later retry gets the stored result.
    const later = await submit(REGION, body, { ndjson: asNdjson });
    expect(later.status).toBe(200);
    expect(later.data).toEqual(created);
  });
});

describe('a model version keeps its stage', () => {
  it('the same model version with another stage → 409 naming model.stage; nothing stored', async () => {
    const model = freshModel();
    expect((await submit(REGION, { slice_id: uid('stage-a'), model, items: items(3) })).status).toBe(201);
    const otherStage = uid('stage-b');
    const r = await submit(REGION, { slice_id: otherStage, model: { ...model, stage: 'alignment' }, items: items(3) });
    const e = expectError(r, 409, 'conflict');
    expect(e.message).toContain('model.stage');
    expect(e.message).toContain("'sft'");
    expect(e.details?.field).toBe('model.stage');
    expectError(await api(`/v1/regions/${REGION}/slices/${otherStage}`), 404);
    // In another region too: the stage belongs to the model version, not the region.
    expectError(await submit('PE', { slice_id: otherStage, model: { ...model, stage: 'production' }, items: items(3) }, { ndjson: true }), 409, 'conflict');
    const sc = await scorecardOf(model);
    expect(sc.model).toEqual({ id: model.id, version: '1', stage: 'sft' });
    expect(sc.items).toBe(3);
  });

  it('another slice of the same model version and stage adds to the scorecard', async () => {
    const model = freshModel();
    expect((await submit(REGION, { slice_id: uid('add-a'), model, items: items(3) })).status).toBe(201);
    expect((await submit(REGION, { slice_id: uid('add-b'), model, items: items(6) })).status).toBe(201);
    const sc = await scorecardOf(model);
    // 3 items → FN at 0; 6 items → FN at 0, 3.
    expect(sc).toMatchObject({ items: 9, failures: 3 });
  });

  it('two slices of a new model version with different stages, submitted at once: one stage wins, the other is 409', async () => {
    const model = freshModel();
    const [a, b] = await Promise.all([
      submit(REGION, { slice_id: uid('rs-a'), model, items: items(200) }),
      submit(REGION, { slice_id: uid('rs-b'), model: { ...model, stage: 'alignment' }, items: items(200) }),
    ]);
    expect([a.status, b.status].sort(), JSON.stringify([a.data, b.data])).toEqual([201, 409]);
    const stages = await rows<{ model_stage: string; status: string }>(
      "SELECT model_stage, status FROM slices WHERE model_id = ? AND status = 'complete'", model.id);
    const [mv] = await rows<{ stage: string }>('SELECT stage FROM model_versions WHERE model_id = ?', model.id);
    for (const s of stages) expect(s.model_stage).toBe(mv.stage);
  });
});

// Requests sent through exports.default.fetch are handled one after the other in this test
// runtime, so the races above never interleave. These call the ingest entry point directly:
// the two submissions then interleave at every D1 await, as concurrent requests do in production.
describe('interleaved submissions (ingest entry point, real D1)', () => {
  const request = (body: unknown) => new Request(`http://avlm.test/v1/regions/${REGION}/slices`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const outcome = (r: PromiseSettledResult<Awaited<ReturnType<typeof submitSlice>>>) =>
    r.status === 'fulfilled' ? r.value.status : r.reason instanceof ApiError ? r.reason.status : String(r.reason);

  it('5 identical submissions → one 201, the others 202 (still processing) or 200; counted once', async () => {
    const model = freshModel();
    const body = { slice_id: uid('inter'), model, items: items(300) };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => submitSlice(env, REGION, request(body))));
    const statuses = results.map(outcome);
    expect(statuses.filter((s) => s === 201), JSON.stringify(statuses)).toHaveLength(1);
    for (const s of statuses) expect([200, 201, 202]).toContain(s);
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value.status === 202) expect(r.value.body).toEqual({ slice_id: body.slice_id, status: 'processing' });
    }
    expect((await api(`/v1/regions/${REGION}/slices/${body.slice_id}`)).data).toMatchObject({ status: 'complete', items: 300, failures: 100 });
    expect(await scorecardOf(model)).toMatchObject({ items: 300, failures: 100 });
  });

  // Regression: the stage check ran only when the slice was claimed, so two first slices of a
  // new model version with different stages were both committed (201, 201) and the scorecard
  // of that version mixed both; the commit now re-checks the stage inside its transaction.
  it('two first slices of a model version with different stages → 201 and 409 naming model.stage; only the winner counts', async () => {
    const model = freshModel();
    const a = { slice_id: uid('st-a'), model, items: items(300) };
    const b = { slice_id: uid('st-b'), model: { ...model, stage: 'alignment' }, items: items(150) };
    const [ra, rb] = await Promise.allSettled([submitSlice(env, REGION, request(a)), submitSlice(env, REGION, request(b))]);
    expect([outcome(ra), outcome(rb)].sort()).toEqual([201, 409]);
    const loser = outcome(ra) === 409 ? ra : rb;
    const err = (loser as PromiseRejectedResult).reason as ApiError;
    expect(err.message).toContain('model.stage');
    expect(err.details).toEqual({ field: 'model.stage' });

    const [mv] = await rows<{ stage: string }>('SELECT stage FROM model_versions WHERE model_id = ?', model.id);
    const winner = outcome(ra) === 201 ? a : b;
    expect(mv.stage).toBe(winner.model.stage);
    const sc = await scorecardOf(model);
    expect(sc.model.stage).toBe(winner.model.stage);
    expect(sc.items).toBe(winner.items.length);
    // The loser is kept as a failed slice that says why.
    const lost = await api(`/v1/regions/${REGION}/slices/${(winner === a ? b : a).slice_id}`);
    expect(lost.data).toMatchObject({ status: 'failed', items: 0 });
    expect(lost.data.error).toContain('model.stage');
  });
});
