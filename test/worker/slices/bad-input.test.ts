// Bad input (SPEC §3, §8): every rejection is a 4xx whose message names the field (and the
// line for NDJSON, the items[i] path for JSON), and nothing of the slice is stored: GET slice
// is 404, the scorecard and every stored table are unchanged, and no R2 object is left over.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { expectError, r2Keys, storedFor } from '../reference.ts';

const REGION = 'CA';
const MODEL = { id: 'avlm-bad', version: '1', stage: 'sft' } as const;

const good = (id: string, over: Record<string, unknown> = {}) => ({
  item_id: id, surface: 'vod', policy: 'hate.slur', label: { violating: true }, prediction: { score: 0.9 }, ...over,
});

let baseline: { scorecard: unknown; stored: Awaited<ReturnType<typeof storedFor>> };

const scorecard = async () => {
  const r = await api(`/v1/regions/${REGION}/scorecard?model=${MODEL.id}&version=${MODEL.version}`);
  expect(r.status).toBe(200);
  return r.data;
};

beforeAll(async () => {
  // A good slice first, so "unchanged" compares against real numbers, not an empty region.
  const r = await submit(REGION, { slice_id: 'baseline', model: MODEL, items: [good('a'), good('b', { prediction: { score: 0.1 } }), good('c', { label: { violating: false } })] });
  expect(r.status).toBe(201);
  baseline = { scorecard: await scorecard(), stored: await storedFor(REGION, MODEL.id) };
  expect(baseline.stored.slices).toBe(1);
});

/** After a rejected submission: nothing of `sliceId` exists and nothing else moved. */
async function expectNothingStored(sliceId: string) {
  expectError(await api(`/v1/regions/${REGION}/slices/${sliceId}`), 404, 'not_found');
  expect(await storedFor(REGION, MODEL.id)).toEqual(baseline.stored);
  expect(await scorecard()).toEqual(baseline.scorecard);
  expect(await r2Keys()).toEqual([]);
}

const postRaw = (body: BodyInit, contentType: string | null, region = REGION) =>
  api(`/v1/regions/${region}/slices`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });
const postNdjson = (lines: string[]) => postRaw(lines.join('\n') + '\n', 'application/x-ndjson');
const header = (sliceId: string, model: unknown = MODEL) => JSON.stringify({ slice_id: sliceId, model });

interface Case {
  name: string;
  sliceId: string;
  send: () => Promise<{ status: number; data: any }>;
  status: number;
  code?: string;
  /** Every substring the message must contain (the field, and the line or items[i]). */
  says: string[];
}

const CASES: Case[] = [
  {
    name: 'malformed JSON body', sliceId: 'bad-json', status: 400, code: 'malformed_json', says: ['body', 'malformed JSON'],
    send: () => postRaw('{"slice_id": "bad-json", "model": {"id": "avlm-bad", "version": "1", "stage": "sft"}, "items": [', 'application/json'),
  },
  {
    name: 'malformed NDJSON on line 3', sliceId: 'bad-nd-3', status: 400, code: 'malformed_json', says: ['line 3', 'malformed JSON'],
    send: () => postNdjson([header('bad-nd-3'), JSON.stringify(good('a')), '{"item_id": "b", "surface": "vod",', JSON.stringify(good('c'))]),
  },
  {
    name: 'score as a string (JSON)', sliceId: 'bad-type-json', status: 400, code: 'invalid_slice', says: ['items[1].prediction.score', 'number'],
    send: () => submit(REGION, { slice_id: 'bad-type-json', model: MODEL, items: [good('a'), good('b', { prediction: { score: '0.9' } })] }),
  },
  {
    name: 'score as a string (NDJSON)', sliceId: 'bad-type-nd', status: 400, code: 'invalid_slice', says: ['line 3', 'prediction.score', 'number'],
    send: () => postNdjson([header('bad-type-nd'), JSON.stringify(good('a')), JSON.stringify(good('b', { prediction: { score: '0.9' } }))]),
  },
  {
    name: 'score 1.5 (JSON)', sliceId: 'bad-range-json', status: 400, code: 'invalid_slice', says: ['items[0].prediction.score'],
    send: () => submit(REGION, { slice_id: 'bad-range-json', model: MODEL, items: [good('a', { prediction: { score: 1.5 } })] }),
  },
  {
    name: 'score 1.5 (NDJSON)', sliceId: 'bad-range-nd', status: 400, code: 'invalid_slice', says: ['line 2', 'prediction.score'],
    send: () => postNdjson([header('bad-range-nd'), JSON.stringify(good('a', { prediction: { score: 1.5 } }))]),
  },
  {
    name: 'a negative probe score', sliceId: 'bad-probe', status: 400, code: 'invalid_slice', says: ['line 2', 'probes.audio_only'],
    send: () => postNdjson([header('bad-probe'), JSON.stringify(good('a', { probes: { audio_only: -0.1 } }))]),
  },
  {
    name: 'a threshold above 1', sliceId: 'bad-thr', status: 400, code: 'invalid_slice', says: ['items[0].prediction.threshold'],
    send: () => submit(REGION, { slice_id: 'bad-thr', model: MODEL, items: [good('a', { prediction: { score: 0.5, threshold: 2 } })] }),
  },
  {
    name: 'an unknown policy', sliceId: 'bad-policy', status: 400, code: 'invalid_slice', says: ['line 3', 'policy', 'unknown policy'],
    send: () => postNdjson([header('bad-policy'), JSON.stringify(good('a')), JSON.stringify(good('b', { policy: 'hate.slurs' }))]),
  },
  {
    name: 'an unknown policy (JSON)', sliceId: 'bad-policy-json', status: 400, code: 'invalid_slice', says: ['items[0].policy', 'unknown policy'],
    send: () => submit(REGION, { slice_id: 'bad-policy-json', model: MODEL, items: [good('a', { policy: 'nope' })] }),
  },
  {
    name: 'an unknown surface', sliceId: 'bad-surface', status: 400, code: 'invalid_slice', says: ['line 2', 'surface'],
    send: () => postNdjson([header('bad-surface'), JSON.stringify(good('a', { surface: 'radio' }))]),
  },
  {
    name: 'an unknown evidence modality', sliceId: 'bad-evidence', status: 400, code: 'invalid_slice', says: ['line 2', 'label.evidence[0]'],
    send: () => postNdjson([header('bad-evidence'), JSON.stringify(good('a', { label: { violating: true, evidence: ['smell'] } }))]),
  },
  {
    name: 'label.violating missing', sliceId: 'bad-label', status: 400, code: 'invalid_slice', says: ['items[0].label.violating', 'required'],
    send: () => submit(REGION, { slice_id: 'bad-label', model: MODEL, items: [good('a', { label: { source: 'x' } })] }),
  },
  {
    name: 'a fractional live segment', sliceId: 'bad-seg', status: 400, code: 'invalid_slice', says: ['line 2', 'live.segment'],
    send: () => postNdjson([header('bad-seg'), JSON.stringify(good('a', { surface: 'live', live: { stream_id: 's', segment: 1.5 } }))]),
  },
  {
    // Documented as an object (SPEC §11, issue 15): a list or a string is a client error.
    name: 'attributes as a list', sliceId: 'bad-attrs', status: 400, code: 'invalid_slice', says: ['line 2', 'attributes'],
    send: () => postNdjson([header('bad-attrs'), JSON.stringify(good('a', { attributes: ['creator_tier', 'new'] }))]),
  },
  {
    name: 'attributes as a string (JSON)', sliceId: 'bad-attrs-json', status: 400, code: 'invalid_slice', says: ['items[0].attributes'],
    send: () => submit(REGION, { slice_id: 'bad-attrs-json', model: MODEL, items: [good('a', { attributes: 'tier=new' })] }),
  },
  {
    name: 'an empty item_id', sliceId: 'bad-id', status: 400, code: 'invalid_slice', says: ['line 2', 'item_id'],
    send: () => postNdjson([header('bad-id'), JSON.stringify(good(''))]),
  },
  {
    name: 'an item that is not an object', sliceId: 'bad-array', status: 400, code: 'invalid_slice', says: ['line 3'],
    send: () => postNdjson([header('bad-array'), JSON.stringify(good('a')), '[1, 2]']),
  },
  {
    name: 'a duplicate item_id (NDJSON names the line)', sliceId: 'bad-dup-nd', status: 400, code: 'invalid_slice', says: ['line 4', 'item_id', 'duplicate', "'a'"],
    send: () => postNdjson([header('bad-dup-nd'), JSON.stringify(good('a')), JSON.stringify(good('b')), JSON.stringify(good('a'))]),
  },
  {
    name: 'a duplicate item_id (JSON names items[1].item_id)', sliceId: 'bad-dup-json', status: 400, code: 'invalid_slice', says: ['items[1].item_id', 'duplicate'],
    send: () => submit(REGION, { slice_id: 'bad-dup-json', model: MODEL, items: [good('x'), good('x')] }),
  },
  {
    name: 'an invalid model.stage (NDJSON header)', sliceId: 'bad-stage-nd', status: 400, code: 'invalid_slice', says: ['line 1', 'model.stage'],
    send: () => postNdjson([header('bad-stage-nd', { ...MODEL, stage: 'beta' }), JSON.stringify(good('a'))]),
  },
  {
    name: 'an invalid model.stage (JSON)', sliceId: 'bad-stage-json', status: 400, code: 'invalid_slice', says: ['model.stage'],
    send: () => submit(REGION, { slice_id: 'bad-stage-json', model: { ...MODEL, stage: 'beta' }, items: [good('a')] }),
  },
  {
    name: 'model.version missing', sliceId: 'bad-version', status: 400, code: 'invalid_slice', says: ['model.version', 'required'],
    send: () => submit(REGION, { slice_id: 'bad-version', model: { id: MODEL.id, stage: MODEL.stage }, items: [good('a')] }),
  },
  {
    name: 'slice_id missing', sliceId: 'bad-noid', status: 400, code: 'invalid_slice', says: ['line 1', 'slice_id', 'required'],
    send: () => postNdjson([JSON.stringify({ model: MODEL }), JSON.stringify(good('a'))]),
  },
  {
    name: 'a slice_id with a slash', sliceId: 'bad%2Fslash', status: 400, code: 'invalid_slice', says: ['slice_id'],
    send: () => submit(REGION, { slice_id: 'bad/slash', model: MODEL, items: [good('a')] }),
  },
  {
    name: 'items not an array', sliceId: 'bad-items', status: 400, says: ['items'],
    send: () => submit(REGION, { slice_id: 'bad-items', model: MODEL, items: { a: good('a') } }),
  },
  {
    name: 'a JSON array instead of an object', sliceId: 'bad-top', status: 400, says: ['body'],
    send: () => postRaw(JSON.stringify([good('a')]), 'application/json'),
  },
  {
    name: 'an empty NDJSON body', sliceId: 'bad-empty', status: 400, says: ['line 1'],
    send: () => postRaw('\n\n', 'application/x-ndjson'),
  },
  {
    name: 'invalid UTF-8', sliceId: 'bad-utf8', status: 400, code: 'invalid_encoding', says: ['line'],
    send: () => postRaw(new Uint8Array([...new TextEncoder().encode(`${header('bad-utf8')}\n{"item_id": "`), 0xff, 0xfe, ...new TextEncoder().encode('"}\n')]), 'application/x-ndjson'),
  },
  {
    // The same bytes as JSON were once decoded leniently (U+FFFD) and stored.
    name: 'invalid UTF-8 in a JSON slice', sliceId: 'bad-utf8-json', status: 400, code: 'invalid_encoding', says: ['body', 'UTF-8'],
    send: () => postRaw(new Uint8Array([...new TextEncoder().encode(`{"slice_id":"bad-utf8-json","model":${JSON.stringify(MODEL)},"items":[{"item_id":"`), 0xff, 0xfe,
      ...new TextEncoder().encode(`","surface":"vod","policy":"hate.slur","label":{"violating":true},"prediction":{"score":0.9}}]}`)]), 'application/json'),
  },
  {
    name: 'text/plain', sliceId: 'bad-ct', status: 415, code: 'unsupported_media_type', says: ['content-type', 'text/plain'],
    send: () => postRaw(JSON.stringify({ slice_id: 'bad-ct', model: MODEL, items: [good('a')] }), 'text/plain'),
  },
  {
    name: 'no content type', sliceId: 'bad-noct', status: 415, code: 'unsupported_media_type', says: ['content-type'],
    send: () => postRaw(new Uint8Array(new TextEncoder().encode(JSON.stringify({ slice_id: 'bad-noct', model: MODEL, items: [good('a')] }))), null),
  },
];

describe('rejected submissions', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.status}, naming ${c.says.join(' / ')}, nothing stored`, async () => {
      const r = await c.send();
      const e = expectError(r, c.status, c.code);
      for (const s of c.says) expect(e.message, e.message).toContain(s);
      await expectNothingStored(c.sliceId);
    });
  }

  it('an unknown region → 404 naming region', async () => {
    const r = await submit('ZZ', { slice_id: 'bad-region', model: MODEL, items: [good('a')] });
    const e = expectError(r, 404, 'unknown_region');
    expect(e.message).toContain('region');
    expect(e.message).toContain('ZZ');
    expectError(await api('/v1/regions/ZZ/slices/bad-region'), 404);
    await expectNothingStored('bad-region');
  });

  it('a lower-case region code → 400 naming region', async () => {
    const e = expectError(await submit('ca', { slice_id: 'bad-lc', model: MODEL, items: [good('a')] }), 400);
    expect(e.message).toContain('region');
    await expectNothingStored('bad-lc');
  });

  it('a valid slice is still accepted after all the rejections', async () => {
    const r = await submit(REGION, { slice_id: 'after-bad', model: MODEL, items: [good('z')] });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ items: 1, failures: 0 });
    // Restore the baseline for any later test in this file.
    baseline = { scorecard: await scorecard(), stored: await storedFor(REGION, MODEL.id) };
  });
});

describe('oversize and asynchronous (> 200 KB) bodies', () => {
  /** ~1,500 valid items (~110 KB+) of padding so the body is taken on the async path. */
  const filler = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify(good(`f-${i}`, { note: 'p'.repeat(80) })));

  it('an NDJSON line longer than 1,000,000 characters → 413 naming the line; nothing stored, no R2 object', async () => {
    const long = JSON.stringify(good('huge', { blob: 'x'.repeat(1_100_000) }));
    const r = await postNdjson([header('bad-long'), JSON.stringify(good('a')), long, JSON.stringify(good('b'))]);
    const e = expectError(r, 413, 'line_too_long');
    expect(e.message).toContain('line 3');
    await expectNothingStored('bad-long');
  });

  it('a bad item deep in an async NDJSON body → 400 naming the line; no slice row, no R2 object', async () => {
    const lines = [header('bad-async'), ...filler(2000)];
    expect(lines.join('\n').length).toBeGreaterThan(200_000);
    lines[1500] = JSON.stringify(good('f-1499', { prediction: { score: 7 } })); // line 1501 of the body
    const r = await postNdjson(lines);
    const e = expectError(r, 400, 'invalid_slice');
    expect(e.message).toContain('line 1501');
    expect(e.message).toContain('prediction.score');
    await expectNothingStored('bad-async');
  });

  it('a duplicate item_id and a malformed last line in async bodies → 400 naming the line', async () => {
    const dup = [header('bad-async-dup'), ...filler(2000), JSON.stringify(good('f-7'))];
    const e1 = expectError(await postNdjson(dup), 400, 'invalid_slice');
    expect(e1.message).toContain(`line ${dup.length}`);
    expect(e1.message).toContain('duplicate');
    await expectNothingStored('bad-async-dup');

    const broken = [header('bad-async-eof'), ...filler(2000), '{"item_id": "last"'];
    const e2 = expectError(await postNdjson(broken), 400, 'malformed_json');
    expect(e2.message).toContain(`line ${broken.length}`);
    await expectNothingStored('bad-async-eof');
  });

  it('an invalid header on an async body → 400 naming line 1 and the field', async () => {
    const lines = [header('bad-async-hdr', { ...MODEL, stage: 'ga' }), ...filler(2000)];
    const e = expectError(await postNdjson(lines), 400, 'invalid_slice');
    expect(e.message).toContain('line 1');
    expect(e.message).toContain('model.stage');
    await expectNothingStored('bad-async-hdr');
  });

  it('a JSON body above the 32 MB JSON limit → 413 naming the body; nothing stored', async () => {
    const pad = 'y'.repeat(1_000_000);
    const items = Array.from({ length: 33 }, (_, i) => good(`j-${i}`, { pad }));
    const r = await submit(REGION, { slice_id: 'bad-json-big', model: MODEL, items });
    const e = expectError(r, 413, 'payload_too_large');
    expect(e.message).toContain('body');
    expect(e.message).toContain('NDJSON');
    await expectNothingStored('bad-json-big');
  });

  it('an empty body → 400', async () => {
    const e = expectError(await postRaw('', 'application/json'), 400);
    expect(e.message).toContain('body');
  });
});
