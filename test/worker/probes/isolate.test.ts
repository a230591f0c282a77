// A malformed item must not strand a slice: feature lengths are checked at ingest against the
// backend's dims (400 naming the field, nothing stored); an item that gets past that (stored
// earlier, or refused by the backend for another reason) is isolated — the rest of its batch is
// probed, it is marked unprobeable with the reason, and the slice ends `complete`.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:workers';
import { featuresFor } from '../../../gpu-backend/model/spec.ts';
import { DIMS, InferenceError, type InferenceBackend, type InferenceBatch } from '../../../gpu-backend/client/index.ts';
import { POLICY_CODES, policyIndex } from '../../../taxonomy/policies.ts';
import { probeIsolating } from '../../../functions/probes/isolate.ts';
import { dimsFromMetadata, featureDims } from '../../../functions/lib/feature-dims.ts';
import { getSlice } from '../../../functions/store/slices.ts';
import { api, chunked, item, ndjson, submit } from '../helpers.ts';
import { expectCountersMatchStore } from '../labels/webhooks-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MODEL = { id: 'iso', version: '1', stage: 'sft' };
const feats = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.05, text: 0.05 });
const shortAudio = () => { const f = feats(); f.audio = f.audio.slice(1); return f; };
// The proxy in front of the backend (global-setup.ts) answers 400 naming input 'audio' to any
// request carrying this value, as Triton does for a tensor it cannot take.
const REFUSE_MARK = 0.0271828;
const refused = () => { const f = feats(); f.audio[0] = REFUSE_MARK; return f; };

const unscored = (id: string, features: () => unknown = feats) =>
  item(id, { label: { violating: true, evidence: ['audio'] }, prediction: undefined, features: features() });

describe('feature lengths at ingest', () => {
  it('takes the dims from the backend metadata (OIP inputs[].shape), else none', async () => {
    const meta = (a: unknown) => ({ inputs: [{ name: 'audio', shape: [-1, a] }, { name: 'visual', shape: [-1, 24] }, { name: 'text', shape: [-1, 40] }, { name: 'modality_mask', shape: [-1, 3] }] });
    expect(dimsFromMetadata(meta(20))).toEqual({ audio: 20, visual: 24, text: 40 });
    expect(dimsFromMetadata(meta('x'))).toBeNull();
    expect(dimsFromMetadata({ inputs: meta(20).inputs.slice(1) })).toBeNull();
    // The test backend (the local OIP server) declares the reference model's dims.
    expect(await featureDims(env)).toEqual(DIMS);
  });

  it('a JSON slice with a short features.audio is refused, naming the item and field, and nothing is stored', async () => {
    const items = [unscored('a0'), unscored('a1'), unscored('a2'), unscored('a3', shortAudio)];
    const r = await submit('KE', { slice_id: 'len-json', model: MODEL, items });
    expect(r.status).toBe(400);
    expect(r.data.error.code).toBe('invalid_slice');
    expect(r.data.error.message).toBe(`items[3].features.audio: has ${DIMS.audio - 1} values, the model takes ${DIMS.audio}`);
    expect(r.data.error.details).toEqual({ field: 'items[3].features.audio' });
    expect(await getSlice(env.DB, 'KE', 'len-json')).toBeNull();
  });

  it('NDJSON (small, and chunked via the queue path) names the line', async () => {
    const items = [unscored('b0'), unscored('b1', shortAudio)];
    const r = await submit('KE', { slice_id: 'len-nd', model: MODEL, items }, { ndjson: true });
    expect(r.status).toBe(400);
    expect(r.data.error.message).toBe(`line 3: features.audio: has ${DIMS.audio - 1} values, the model takes ${DIMS.audio}`);
    expect(r.data.error.details).toEqual({ line: 3, field: 'features.audio' });
    const big = await api('/v1/regions/KE/slices', {
      method: 'POST', headers: { 'content-type': 'application/x-ndjson' },
      body: chunked(ndjson({ slice_id: 'len-chunked', model: MODEL }, items)),
    });
    expect(big.status).toBe(400);
    expect(big.data.error.details).toEqual({ line: 3, field: 'features.audio' });
    expect(await getSlice(env.DB, 'KE', 'len-nd')).toBeNull();
    expect(await getSlice(env.DB, 'KE', 'len-chunked')).toBeNull();
  });

  it('refuses a submitted probe_error (the service sets it)', async () => {
    const r = await submit('KE', { slice_id: 'len-marker', model: MODEL, items: [{ ...unscored('c0'), probe_error: 'x' }] });
    expect(r.status).toBe(400);
    expect(r.data.error.details).toEqual({ field: 'items[0].probe_error' });
  });
});

describe('isolating items the backend refuses', () => {
  it('a slice of 60 with one refused item completes: 59 probed, 1 unprobeable with its reason', async () => {
    const items = Array.from({ length: 60 }, (_, k) => unscored(`i${String(k).padStart(2, '0')}`, k === 17 ? refused : feats));
    const r = await submit('KE', { slice_id: 'iso-60', model: MODEL, items });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ status: 'probing', items: 60, pending: 60 });
    const until = Date.now() + 30_000;
    let s = (await api('/v1/regions/KE/slices/iso-60')).data;
    while (s.status !== 'complete' && Date.now() < until) { await sleep(100); s = (await api('/v1/regions/KE/slices/iso-60')).data; }
    expect(s).toMatchObject({ status: 'complete', items: 60, pending: 1, unprobeable: 1 });

    const bad = (await api('/v1/regions/KE/slices/iso-60/items/i17')).data;
    expect(bad.probe_error).toMatch(/answered 400: .*input 'audio'/);
    expect(bad.item.probe_error).toBe(bad.probe_error);
    expect(bad.item.prediction).toBeUndefined();
    // Its batch-mates (job 0 holds i00…i31) were probed all the same.
    for (const id of ['i16', 'i18', 'i31', 'i59']) {
      const ok = (await api(`/v1/regions/KE/slices/iso-60/items/${id}`)).data;
      expect(ok.item.prediction.source, id).toBe('gpu-backend');
      expect(ok.probe_error, id).toBeUndefined();
      expect(Object.keys(ok.item.probes).length, id).toBe(7);
    }
    const row = (await getSlice(env.DB, 'KE', 'iso-60'))!;
    const jobs = await env.DB.prepare('SELECT status FROM probe_jobs WHERE slice_pk = ?').bind(row.pk).all<{ status: string }>();
    expect(jobs.results.map((j) => j.status)).toEqual(['done', 'done']);
    await expectCountersMatchStore(row.pk);
  });

  it('sets aside a stored item of the wrong length without a backend call, and bisects a refused batch', async () => {
    // A backend that refuses (400, naming the input) any batch holding a row whose audio starts with 9.
    const calls: number[] = [];
    const backend: InferenceBackend = {
      transport: 'oip',
      ready: async () => true,
      infer: async (batch: InferenceBatch) => {
        calls.push(batch.audio.length);
        if (batch.audio.some((row) => row.length !== DIMS.audio)) throw new Error('a wrong-length row reached the backend');
        if (batch.audio.some((row) => row[0] === 9)) throw new InferenceError('http', "inference server answered 400: bad input 'audio'", { retryable: false, status: 400 });
        return batch.audio.map(() => new Array(POLICY_CODES.length).fill(0.25));
      },
    };
    const poison = () => { const f = feats(); f.audio[0] = 9; return f; };
    const list = [unscored('x0'), unscored('x1', shortAudio), unscored('x2'), unscored('x3', poison), unscored('x4')] as never[];
    const out = await probeIsolating(backend, list, DIMS);
    expect(out.map((o) => ('error' in o ? o.error : 'ok'))).toEqual([
      'ok', `features.audio has ${DIMS.audio - 1} values, the model takes ${DIMS.audio}`, 'ok', "inference server answered 400: bad input 'audio'", 'ok',
    ]);
    expect(calls[0]).toBe(4 * 8); // the wrong-length item never went out
    // A 503 is not the items' fault: it propagates (retry → dead letter → replay).
    const down: InferenceBackend = { ...backend, infer: async () => { throw new InferenceError('http', 'inference server answered 503: busy', { retryable: true, status: 503 }); } };
    await expect(probeIsolating(down, [unscored('y0')] as never[], DIMS)).rejects.toThrow('503');
    // Refusing every item alone is the deployment's fault: the job fails (replayable), nothing is marked.
    await expect(probeIsolating(backend, [unscored('z0', poison), unscored('z1', poison), unscored('z2', shortAudio)] as never[], DIMS))
      .rejects.toThrow('refused each of the 2 items of this job alone');
  });
});
