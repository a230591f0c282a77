// GPU backend end to end: a slice with unpredicted items and unprobed failures goes
// `probing`, a real ONNX model run (local OIP server) fills predictions and probes through
// the queue, and the slice ends `complete` with signatures and counters moved once.
// Faults go through a proxy (see global-setup.ts): a backend that fails keeps items
// UNPROBED, dead-letters the job, and a replay finishes the slice.
import { describe, it, expect, afterEach } from 'vitest';
import { env } from 'cloudflare:workers';
import { featuresFor, referenceForward } from '../../../gpu-backend/model/spec.ts';
import { policyIndex } from '../../../taxonomy/policies.ts';
import { api, item, submit } from '../helpers.ts';
import { expectCountersMatchStore } from '../labels/webhooks-helpers.ts';
import { parseRecords, partText } from '../../../functions/store/items/format.ts';
import { getSlice } from '../../../functions/store/slices.ts';

const fault = (mode: string) => fetch(`${env.INFERENCE_URL}/__fault`, { method: 'POST', body: JSON.stringify({ mode }) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > until) return v;
    await sleep(100);
  }
}

// Audio carries the violation alone, but the reference model's fusion weights drown it.
const drowned = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.05, text: 0.05 });

// Faults are injected only into backend requests carrying this value (global-setup.ts), so
// other test files' probe jobs, running meanwhile, never see them.
const FAULT_MARK = 0.0314159;
const marked = () => { const f = drowned(); f.audio[0] = FAULT_MARK; return f; };

const slice = (id: string, features = drowned) => ({
  slice_id: id, model: { id: 'gpu', version: '1', stage: 'sft' },
  items: [
    item('p1', { label: { violating: true, evidence: ['audio'] }, prediction: undefined, features: features() }),
    item('p2', { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.05 }, features: features() }),
    item('p3', { label: { violating: false }, prediction: { score: 0.1 } }),
    item('p4', { label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.05 } }), // no features: stays UNPROBED
  ],
});

describe('GPU backend: predictions and probes', () => {
  afterEach(async () => { await fault('ok'); });

  it('fills predictions and probes from a real model run, then completes', async () => {
    const r = await submit('KE', slice('gpu-ok'));
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ status: 'probing', items: 4, pending: 1, by_signature: { UNPROBED: 2 } });
    const done = await waitFor(() => api('/v1/regions/KE/slices/gpu-ok'), (x) => x.data.status === 'complete');
    expect(done.data).toMatchObject({ status: 'complete', pending: 0, failures: 3, by_signature: { 'FUS.SUPPRESS.audio': 2, UNPROBED: 1 } });

    const p1 = (await api('/v1/regions/KE/slices/gpu-ok/items/p1')).data;
    const f = drowned();
    const rows = referenceForward({
      audio: [f.audio, f.audio], visual: [f.visual, new Array(f.visual.length).fill(0)], text: [f.text, new Array(f.text.length).fill(0)],
      modality_mask: [[1, 1, 1], [1, 0, 0]], policy_context: [[0], [0]],
    });
    const p = policyIndex('hate.slur');
    expect(p1.item.prediction.source).toBe('gpu-backend');
    expect(p1.item.prediction.score).toBeCloseTo(rows[0][p], 5); // the ONNX run equals the reference forward pass
    expect(p1.item.probes.audio_only).toBeCloseTo(rows[1][p], 5);
    expect(Object.keys(p1.item.probes).sort()).toEqual(['audio_only', 'no_audio', 'no_text', 'no_visual', 'policy_context', 'text_only', 'visual_only']);
    expect(p1.outcome).toBe('FN');
    expect(p1.primary).toBe('FUS.SUPPRESS.audio');
    // p2 kept its submitted score and got probes only.
    const p2 = (await api('/v1/regions/KE/slices/gpu-ok/items/p2')).data;
    expect(p2.item.prediction).toEqual({ score: 0.05 });
    expect(p2.primary).toBe('FUS.SUPPRESS.audio');

    const sc = (await api('/v1/regions/KE/scorecard?model=gpu&version=1')).data;
    expect(sc).toMatchObject({ items: 4, pending: 0, failures: 3 });
    expect(sc.by_signature.map((s: any) => [s.code, s.count])).toEqual([['FUS.SUPPRESS.audio', 2], ['UNPROBED', 1]]);
  });

  it('a prediction filled in for a live segment re-evaluates TMP.FLIP of the segment next to it', async () => {
    // g1 has no prediction (the model scores these features 0.95: decision true); g2 is an FN
    // between g1 and g3 (decision true), all labelled violating: it flips once g1 is decided.
    const live = (id: string, n: number, over: Record<string, unknown>) =>
      item(id, { surface: 'live', label: { violating: true }, live: { stream_id: 'g', segment: n }, ...over });
    const loud = () => featuresFor({ policyIndex: policyIndex('hate.slur'), audio: 0.95, visual: 0.95, text: 0.95 });
    const r = await submit('KE', { slice_id: 'gpu-live', model: { id: 'gpu-live', version: '1', stage: 'sft' }, items: [
      live('g1', 1, { prediction: undefined, features: loud() }), live('g2', 2, { prediction: { score: 0.1 } }), live('g3', 3, { prediction: { score: 0.9 } }),
    ] });
    expect(r.data).toMatchObject({ status: 'probing', pending: 1 });
    expect(r.data.by_signature['TMP.FLIP']).toBeUndefined();
    const done = await waitFor(() => api('/v1/regions/KE/slices/gpu-live'), (x) => x.data.status === 'complete');
    expect(done.data).toMatchObject({ pending: 0, failures: 1, by_signature: { 'TMP.FLIP': 1 } });
    expect((await api('/v1/regions/KE/slices/gpu-live/items/g1')).data).toMatchObject({ outcome: 'TP', item: { prediction: { source: 'gpu-backend' } } });
    const g2 = (await api('/v1/regions/KE/slices/gpu-live/items/g2')).data;
    expect(g2).toMatchObject({ outcome: 'FN', primary: 'TMP.FLIP' });
    expect(g2.secondary[0].evidence).toMatchObject({ prev_decision: true, next_decision: true, label: true });
    const sc = (await api('/v1/regions/KE/scorecard?model=gpu-live&version=1')).data;
    expect(sc.by_signature.map((x: any) => [x.code, x.count])).toEqual([['TMP.FLIP', 1]]);
  });

  it('keeps items UNPROBED while the backend fails, dead-letters the job, and a replay finishes it', async () => {
    await fault('503');
    const r = await submit('UG', slice('gpu-down', marked));
    expect(r.data.status).toBe('probing');
    const dead = await waitFor(() => api('/v1/admin/dead-letters'), (x) => x.data.dead_letters.some((d: any) => d.error.includes('503')), 45_000);
    if (!dead.data.dead_letters.length) console.log(await env.DB.prepare('SELECT * FROM probe_jobs').all());
    const letter = dead.data.dead_letters.find((d: any) => d.error.includes('503'));
    expect(letter).toMatchObject({ queue: 'probe', attempts: 4, replayed_at: null });
    // Nothing was lost or counted: the slice still waits, its items as submitted.
    const waiting = (await api('/v1/regions/UG/slices/gpu-down')).data;
    expect(waiting).toMatchObject({ status: 'probing', pending: 1, by_signature: { UNPROBED: 2 } });
    expect((await api('/v1/regions/UG/slices/gpu-down/items/p2')).data.primary).toBe('UNPROBED');

    await fault('ok');
    const replay = await api(`/v1/admin/dead-letters/${letter.id}/replay`, { method: 'POST' });
    expect(replay.data).toEqual({ id: letter.id, replayed: true });
    expect((await api(`/v1/admin/dead-letters/${letter.id}/replay`, { method: 'POST' })).status).toBe(409);
    const done = await waitFor(() => api('/v1/regions/UG/slices/gpu-down'), (x) => x.data.status === 'complete');
    expect(done.data).toMatchObject({ pending: 0, failures: 3, by_signature: { 'FUS.SUPPRESS.audio': 2, UNPROBED: 1 } });
    const sc = (await api('/v1/regions/UG/scorecard?model=gpu&version=1')).data;
    expect(sc).toMatchObject({ items: 4, failures: 3, pending: 0 });
    expect((await api('/v1/admin/dead-letters')).data.dead_letters.find((d: any) => d.id === letter.id)).toBeUndefined();
    // A non-admin cannot see or replay dead letters.
    expect((await api('/v1/admin/dead-letters', { token: 'nope' })).status).toBe(401);
  });

  it('a stored item of the wrong length no longer strands its batch: the replay probes the rest and marks it unprobeable', async () => {
    // The defect: an item the model cannot take (stored before ingest checked lengths, or under
    // other dims) dead-lettered its job on every replay, leaving its batch-mates pending forever.
    // Here job 0 dead-letters (503 on the marked item), the item's audio is cut short in D1,
    // and the replay must finish the slice.
    await fault('503');
    const ids = Array.from({ length: 60 }, (_, k) => `w${String(k).padStart(2, '0')}`);
    const items = ids.map((id, k) => item(id, { label: { violating: true, evidence: ['audio'] }, prediction: undefined, features: k === 17 ? marked() : drowned() }));
    const r = await submit('UG', { slice_id: 'gpu-badlen', model: { id: 'gpu-badlen', version: '1', stage: 'sft' }, items });
    expect(r.data).toMatchObject({ status: 'probing', items: 60, pending: 60 });
    const pk = (await getSlice(env.DB, 'UG', 'gpu-badlen'))!.pk;
    const dead = await waitFor(() => api('/v1/admin/dead-letters'), (x) => x.data.dead_letters.some((d: any) => d.body.slicePk === pk && d.error.includes('503')), 45_000);
    const letter = dead.data.dead_letters.find((d: any) => d.body.slicePk === pk && d.error.includes('503'));
    expect(letter).toBeDefined();
    // Job 1 (w32…w59) finished; job 0 (w00…w31) waits: 32 pending.
    expect((await api('/v1/regions/UG/slices/gpu-badlen')).data).toMatchObject({ status: 'probing', pending: 32 });

    const short = drowned().audio.slice(1);
    const chunks = await env.DB.prepare('SELECT bucket, part, data FROM item_chunks WHERE slice_pk = ?').bind(pk).all<{ bucket: number; part: number; data: string }>();
    for (const c of chunks.results) {
      const recs = parseRecords(c.data);
      const rec = recs.find((x) => x.i.item_id === 'w17');
      if (!rec) continue;
      rec.i.features!.audio = short;
      await env.DB.prepare('UPDATE item_chunks SET data = ?, rev = rev + 1 WHERE slice_pk = ? AND bucket = ? AND part = ?').bind(partText(recs), pk, c.bucket, c.part).run();
    }
    await fault('ok');
    expect((await api(`/v1/admin/dead-letters/${letter.id}/replay`, { method: 'POST' })).data).toEqual({ id: letter.id, replayed: true });
    const done = await waitFor(() => api('/v1/regions/UG/slices/gpu-badlen'), (x) => x.data.status === 'complete');
    expect(done.data).toMatchObject({ status: 'complete', items: 60, pending: 1, unprobeable: 1 });
    const bad = (await api('/v1/regions/UG/slices/gpu-badlen/items/w17')).data;
    expect(bad.probe_error).toBe(`features.audio has ${short.length} values, the model takes ${short.length + 1}`);
    expect(bad.item.prediction).toBeUndefined();
    for (const id of ['w00', 'w16', 'w18', 'w31']) expect((await api(`/v1/regions/UG/slices/gpu-badlen/items/${id}`)).data.item.prediction.source, id).toBe('gpu-backend');
    await expectCountersMatchStore(pk);
  });

  it('treats a refused connection like any other outage', async () => {
    await fault('down');
    const r = await submit('TZ', slice('gpu-refused', marked));
    expect(r.data.status).toBe('probing');
    const dead = await waitFor(() => api('/v1/admin/dead-letters'), (x) => x.data.dead_letters.some((d: any) => d.body.slicePk && d.error.match(/network|connect|socket|fetch/i)));
    expect(dead.data.dead_letters.length).toBeGreaterThan(0);
    expect((await api('/v1/regions/TZ/slices/gpu-refused')).data.status).toBe('probing');
  });
});
