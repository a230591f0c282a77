// Submitting a slice as JSON and as NDJSON (SPEC §3, §4, §8): the summary numbers are
// derived by hand from a crafted slice; GET slice and GET item show what was stored.
import { describe, it, expect } from 'vitest';
import { api, ndjson, submit } from '../helpers.ts';
import { expectError, rows } from '../reference.ts';

const MODEL = { id: 'avlm-submit', version: '3', stage: 'sft' } as const;

const votes = (...v: boolean[]) => v.map((violating, i) => ({ annotator: `r${i}`, violating }));

/**
 * hate.slur: default threshold 0.5; spam.scam: 0.6. Expected diagnosis in the comments.
 */
const CRAFTED = [
  // FN; rater saw it in audio; audio alone does not fire (0.2 < 0.5) → PER.MISS.audio; grounded false → GRD.HALLUC too.
  {
    item_id: 'fn-audio', content_id: 'c-1', surface: 'vod', language: 'pt-BR', policy: 'hate.slur',
    label: { violating: true, source: 'vendor-a', evidence: ['audio'], x_rater_note: 'slur at 0:14' },
    prediction: { score: 0.2, grounded: false, model_trace: 'abc' },
    probes: { audio_only: 0.2 },
    vendor_meta: { batch: 7, tags: ['a', 'b'] },
  },
  // FP 0.05 above the threshold → THR.MARGIN.
  { item_id: 'fp-thr', surface: 'short', policy: 'hate.slur', label: { violating: false, source: 'internal' }, prediction: { score: 0.55 } },
  // FP against the item's own threshold 0.3 (score 0.35) → THR.MARGIN.
  { item_id: 'fp-own-thr', surface: 'vod', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.35, threshold: 0.3 } },
  // FP, 3 votes 2:1 for violating while the label says benign → LBL.AMBIG, excluded.
  { item_id: 'ambig', surface: 'vod', policy: 'hate.slur', label: { violating: false, votes: votes(true, true, false) }, prediction: { score: 0.9 } },
  // No label → pending; no prediction → pending.
  { item_id: 'pend-nolabel', surface: 'live', policy: 'hate.slur', prediction: { score: 0.7 } },
  { item_id: 'pend-nopred', surface: 'image', policy: 'hate.slur', label: { violating: true } },
  // TN, TP: not failures.
  { item_id: 'tn', surface: 'vod', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.1 } },
  { item_id: 'tp', surface: 'vod', policy: 'hate.slur', label: { violating: true }, prediction: { score: 0.9 } },
  // FN without any probe and no other evidence → UNPROBED.
  { item_id: 'fn-unprobed', surface: 'vod', policy: 'hate.slur', label: { violating: true }, prediction: { score: 0.1 } },
  // spam.scam (T 0.6) FP: visual alone fires (0.9) and without visual it does not (0.2) → FUS.SHORTCUT.visual.
  // audio alone fires too (0.65) but so does no_audio (0.7), so audio does not qualify.
  {
    item_id: 'fp-short', surface: 'short', policy: 'spam.scam', label: { violating: false },
    prediction: { score: 0.8 }, probes: { visual_only: 0.9, no_visual: 0.2, audio_only: 0.65, no_audio: 0.7 },
  },
];

const EXPECTED = {
  items: 10,
  failures: 6, // fn-audio, fp-thr, fp-own-thr, ambig, fn-unprobed, fp-short
  excluded: 1, // ambig
  pending: 2,
  by_signature: { 'FUS.SHORTCUT.visual': 1, 'LBL.AMBIG': 1, 'PER.MISS.audio': 1, 'THR.MARGIN': 2, UNPROBED: 1 },
};

async function aggregatesOf(region: string) {
  const rs = await rows<{ policy: string; metric: string; value: number }>(
    'SELECT policy, metric, value FROM aggregates WHERE region = ? AND model_id = ? AND model_version = ? ORDER BY policy, metric',
    region, MODEL.id, MODEL.version);
  return Object.fromEntries(rs.map((r) => [`${r.policy}|${r.metric}`, r.value]));
}

describe.each([
  ['JSON', 'BR', false],
  ['NDJSON', 'AR', true],
] as const)('submit as %s', (_name, region, asNdjson) => {
  const sliceId = `crafted-${region}`;

  it('→ 201 with the hand-derived summary', async () => {
    const r = await submit(region, { slice_id: sliceId, model: MODEL, items: CRAFTED }, { ndjson: asNdjson });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
  });

  it('GET slice returns the same summary with status complete', async () => {
    const r = await api(`/v1/regions/${region}/slices/${sliceId}`);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ slice_id: sliceId, status: 'complete', ...EXPECTED });
  });

  it('GET item: outcome, primary, secondary evidence and the item as submitted, unknown fields included', async () => {
    const r = await api(`/v1/regions/${region}/slices/${sliceId}/items/fn-audio`);
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ slice_id: sliceId, item_id: 'fn-audio', outcome: 'FN', failure: true, excluded: false, threshold: 0.5, primary: 'PER.MISS.audio' });
    expect(r.data.secondary).toEqual([
      { code: 'PER.MISS.audio', evidence: { modality: 'audio', probe: 'audio_only', score: 0.2, threshold: 0.5, label_evidence: ['audio'] } },
      { code: 'GRD.HALLUC', evidence: { grounded: false } },
    ]);
    expect(r.data.item).toEqual(CRAFTED[0]);
    expect(r.data.item.vendor_meta).toEqual({ batch: 7, tags: ['a', 'b'] });
    expect(r.data.item.label.x_rater_note).toBe('slur at 0:14');
    expect(r.data.item.prediction.model_trace).toBe('abc');
  });

  it('GET item for the other outcomes', async () => {
    const get = async (id: string) => (await api(`/v1/regions/${region}/slices/${sliceId}/items/${id}`)).data;
    const thr = await get('fp-thr');
    expect(thr).toMatchObject({ outcome: 'FP', failure: true, primary: 'THR.MARGIN', threshold: 0.5 });
    expect(thr.secondary).toEqual([{ code: 'THR.MARGIN', evidence: { score: 0.55, threshold: 0.5, distance: 0.05, margin: 0.1 } }]);

    const own = await get('fp-own-thr');
    expect(own).toMatchObject({ outcome: 'FP', primary: 'THR.MARGIN', threshold: 0.3 });
    expect(own.secondary[0].evidence).toMatchObject({ score: 0.35, threshold: 0.3, distance: 0.05 });

    const amb = await get('ambig');
    expect(amb).toMatchObject({ outcome: 'FP', failure: true, excluded: true, primary: 'LBL.AMBIG' });
    expect(amb.secondary[0]).toEqual({
      code: 'LBL.AMBIG',
      evidence: { votes: 3, violating_votes: 2, majority: true, majority_share: 2 / 3, min_share: 0.7, label: false },
    });
    expect(amb.secondary.map((s: any) => s.code)).toEqual(['LBL.AMBIG']);

    for (const id of ['pend-nolabel', 'pend-nopred']) {
      expect(await get(id)).toMatchObject({ outcome: 'pending', failure: false, excluded: false, primary: null, secondary: [] });
    }
    expect(await get('tn')).toMatchObject({ outcome: 'TN', failure: false, primary: null, secondary: [] });
    expect(await get('tp')).toMatchObject({ outcome: 'TP', failure: false, primary: null, secondary: [] });
    expect(await get('fn-unprobed')).toMatchObject({ outcome: 'FN', primary: 'UNPROBED', secondary: [{ code: 'UNPROBED', evidence: { probes_present: [] } }] });

    const short = await get('fp-short');
    expect(short).toMatchObject({ outcome: 'FP', primary: 'FUS.SHORTCUT.visual', threshold: 0.6 });
    expect(short.secondary).toEqual([{
      code: 'FUS.SHORTCUT.visual',
      evidence: { modality: 'visual', probe: 'visual_only', score: 0.9, ablated_probe: 'no_visual', ablated_score: 0.2, threshold: 0.6 },
    }]);
    expect(short.item).toEqual(CRAFTED[9]);
  });

  it('unknown item → 404; unknown slice → 404', async () => {
    const e = expectError(await api(`/v1/regions/${region}/slices/${sliceId}/items/nope`), 404, 'not_found');
    expect(e.message).toContain('nope');
    const e2 = expectError(await api(`/v1/regions/${region}/slices/no-such-slice`), 404, 'not_found');
    expect(e2.message).toContain('no-such-slice');
    expectError(await api(`/v1/regions/${region}/slices/no-such-slice/items/tn`), 404, 'not_found');
    // A slice is found only in its own region.
    const other = region === 'BR' ? 'CL' : 'CO';
    expectError(await api(`/v1/regions/${other}/slices/${sliceId}`), 404, 'not_found');
  });

  it('the aggregates hold exactly the per-policy counters of the slice', async () => {
    const a = await aggregatesOf(region);
    expect(a).toMatchObject({
      'hate.slur|items': 9, 'hate.slur|failures': 5, 'hate.slur|excluded': 1, 'hate.slur|pending': 2,
      'hate.slur|tp': 1, 'hate.slur|tn': 1, 'hate.slur|fp': 3, 'hate.slur|fn': 2,
      'hate.slur|sig:PER.MISS.audio': 1, 'hate.slur|sig:THR.MARGIN': 2, 'hate.slur|sig:LBL.AMBIG': 1, 'hate.slur|sig:UNPROBED': 1,
      'hate.slur|sec:GRD.HALLUC': 1,
      'spam.scam|items': 1, 'spam.scam|failures': 1, 'spam.scam|fp': 1, 'spam.scam|sig:FUS.SHORTCUT.visual': 1,
    });
    expect(a['spam.scam|excluded']).toBeUndefined();
    expect(a['hate.slur|surface:live']).toBe(1);
    expect(a['hate.slur|lang:pt']).toBe(1);
  });
});

describe('body formats', () => {
  it('NDJSON accepts blank lines, CRLF, no trailing newline and application/ndjson', async () => {
    const body = [
      JSON.stringify({ slice_id: 'fmt-1', model: MODEL }),
      '',
      JSON.stringify(CRAFTED[1]),
      '   ',
      JSON.stringify(CRAFTED[6]),
    ].join('\r\n');
    const r = await api('/v1/regions/UY/slices', { method: 'POST', headers: { 'content-type': 'application/ndjson; charset=utf-8' }, body });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    expect(r.data).toEqual({ slice_id: 'fmt-1', status: 'complete', items: 2, failures: 1, excluded: 0, pending: 0, by_signature: { 'THR.MARGIN': 1 } });
  });

  it('application/json with a charset parameter is JSON', async () => {
    const r = await api('/v1/regions/UY/slices', {
      method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ slice_id: 'fmt-2', model: MODEL, items: [CRAFTED[6]] }),
    });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ items: 1, failures: 0 });
  });

  it('an empty slice (header only) is stored with zero counts', async () => {
    const r = await api('/v1/regions/UY/slices', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson({ slice_id: 'fmt-empty', model: MODEL }, []) });
    expect(r.status).toBe(201);
    expect(r.data).toEqual({ slice_id: 'fmt-empty', status: 'complete', items: 0, failures: 0, excluded: 0, pending: 0, by_signature: {} });
  });

  it('unknown header fields are accepted', async () => {
    const r = await submit('UY', { slice_id: 'fmt-extra', model: MODEL, items: [CRAFTED[7]], submitter: { team: 'uy-trust' } } as never);
    expect(r.status).toBe(201);
    expect(r.data.items).toBe(1);
  });

  it('item ids with spaces, slashes, percent signs and non-ASCII characters can be looked up', async () => {
    const ids = ['a b', 'ação-ü', 'x:y.z', 'q?x=1#f', 'a/b', '50%', 'x%2Fy'];
    const r = await submit('UY', { slice_id: 'fmt-ids', model: MODEL, items: ids.map((id) => ({ ...CRAFTED[6], item_id: id })) });
    expect(r.status).toBe(201);
    for (const id of ids) {
      const g = await api(`/v1/regions/UY/slices/fmt-ids/items/${encodeURIComponent(id)}`);
      expect(g.status, id).toBe(200);
      expect(g.data.item_id).toBe(id);
      expect(g.data.item.item_id).toBe(id);
    }
  });
});
