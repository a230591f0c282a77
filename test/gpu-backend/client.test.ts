// Both client transports against the real local server, the HF wire format, probe batches,
// and fault injection: refused connection, timeout, 500, 503 storm, 4xx, malformed tensors.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CODES, policyIndex } from '../../taxonomy/policies.ts';
import { PROBE_KEYS } from '../../taxonomy/types.ts';
import { createBackend, hasFeatures, InferenceError, probeBatch, runProbes, type BackendConfig, type ProbeItem } from '../../gpu-backend/client/index.ts';
import { backoffDelay } from '../../gpu-backend/client/common.ts';
import { startServer, type RunningServer } from '../../gpu-backend/server/server.ts';
import { DIMS, expectedScores, featuresFor, referenceForward } from '../../gpu-backend/model/spec.ts';
import { fakeServer, json, maxAbsDiff, randomBatch, type FakeServer } from './helpers.ts';

const P = POLICY_CODES.length;
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, providers: ['cpu'], queueDelayMs: 1 });
});
afterAll(async () => {
  await server?.close();
});

const transports = [
  { transport: 'oip' as const, url: () => server.url },
  { transport: 'hf' as const, url: () => `${server.url}/` }, // the local server speaks the HF endpoint format at its root
];

/** Items with crafted features: a mix of policies, strengths and missing modalities. */
function craftedItems(): (ProbeItem & { features: NonNullable<ProbeItem['features']> })[] {
  const specs = [
    { policy: 'hate.slur', audio: 0.95 },
    { policy: 'violence.graphic', visual: 0.97, text: 0.2 },
    { policy: 'adult.nudity', text: 0.3, policyContext: 0.85, noise: 0.4 },
    { policy: 'self_harm', audio: 0.6, visual: 0.6, text: 0.6 },
  ];
  return specs.map(({ policy, ...s }) => ({ policy, features: featuresFor({ policyIndex: policyIndex(policy), ...s }) }));
}

for (const t of transports) {
  describe(`${t.transport} transport against the local server`, () => {
    const backend = () => createBackend({ transport: t.transport, url: t.url(), model: 'avlm', timeoutMs: 5000 });

    it('ready() is true', async () => {
      expect(await backend().ready()).toBe(true);
    });

    it('infer() returns [rows][policies] equal to the reference forward pass', async () => {
      const batch = randomBatch(40, 21);
      const scores = await backend().infer(batch);
      expect(scores).toHaveLength(40);
      expect(scores[0]).toHaveLength(P);
      expect(maxAbsDiff(scores, referenceForward(batch))).toBeLessThan(1e-5);
    });

    it('splits a batch above maxBatchRows into several requests, keeping row order', async () => {
      const b = createBackend({ transport: t.transport, url: t.url(), timeoutMs: 5000, maxBatchRows: 10, concurrency: 2 });
      const batch = randomBatch(25, 22);
      const before = server.stats().requests;
      const scores = await b.infer(batch);
      expect(server.stats().requests - before).toBe(3);
      expect(maxAbsDiff(scores, referenceForward(batch))).toBeLessThan(1e-5);
    });

    it('an empty batch is [] without a request; a ragged batch is bad_input, never sent', async () => {
      const before = server.stats().requests;
      expect(await backend().infer({ audio: [], visual: [], text: [], modality_mask: [], policy_context: [] })).toEqual([]);
      const batch = randomBatch(2, 1);
      batch.text[1] = batch.text[1].slice(1);
      await expect(backend().infer(batch)).rejects.toMatchObject({ code: 'bad_input', retryable: false });
      expect(server.stats().requests).toBe(before);
    });

    it('runProbes: one batch of 8 rows per item, mapped back to {score, probes} for the item policy', async () => {
      const items = craftedItems();
      const before = server.stats().requests;
      const results = await runProbes(backend(), items);
      expect(server.stats().requests - before).toBe(1);
      results.forEach((r, i) => {
        const want = expectedScores(items[i].features as never, policyIndex(items[i].policy));
        expect(r.policyIndex).toBe(policyIndex(items[i].policy));
        expect(r.score).toBeCloseTo(want.prediction, 5);
        expect(Object.keys(r.probes).sort()).toEqual([...PROBE_KEYS].sort());
        for (const k of PROBE_KEYS) expect(r.probes[k]).toBeCloseTo(want[k], 5);
      });
      // The crafted failure patterns come out of the real model run.
      expect(results[0].probes.audio_only).toBeGreaterThan(0.9); // audio drowned in fusion…
      expect(results[0].score).toBeLessThan(0.5);
      expect(results[1].probes.no_visual).toBeLessThan(0.5); // …a visual shortcut…
      expect(results[1].score).toBeGreaterThan(0.5);
      expect(results[2].probes.policy_context).toBeCloseTo(0.85, 4); // …and a policy-knowledge gap
    });
  });
}

describe('probeBatch', () => {
  it('lays out 8 rows per item with the probe masks and policy context', () => {
    const { batch, rowsPerItem, decode } = probeBatch(craftedItems().slice(0, 2));
    expect(rowsPerItem).toBe(8);
    expect(batch.audio).toHaveLength(16);
    expect(batch.modality_mask.slice(0, 8)).toEqual([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1]]);
    expect(batch.policy_context.slice(0, 8).map((r) => r[0])).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(() => decode([[0.5]])).toThrow(InferenceError);
  });

  it('a missing modality is zeros with mask 0, and its probes are left out', () => {
    const f = featuresFor({ policyIndex: 0, visual: 0.9, text: 0.4 });
    const item: ProbeItem = { policy: 'adult.nudity', features: { visual: f.visual, text: f.text } };
    const { batch, decode } = probeBatch([item]);
    expect(batch.audio.every((r) => r.length === DIMS.audio && r.every((v) => v === 0))).toBe(true);
    expect(batch.modality_mask.every((m) => m[0] === 0)).toBe(true);
    const [r] = decode(referenceForward(batch));
    expect(Object.keys(r.probes).sort()).toEqual(['no_text', 'no_visual', 'policy_context', 'text_only', 'visual_only']);
    expect(r.probes.visual_only).toBeCloseTo(0.9, 4);
  });

  it('rejects unknown policies, items without features and features of the wrong length', () => {
    const f = featuresFor({ policyIndex: 0, audio: 0.5 });
    const cases: ProbeItem[] = [
      { policy: 'no.such', features: f },
      { policy: 'adult.nudity', features: {} },
      { policy: 'adult.nudity' },
      { policy: 'adult.nudity', features: { audio: f.audio.slice(1) } },
      { policy: 'adult.nudity', features: { audio: f.audio.map(() => Number.NaN) } },
    ];
    for (const item of cases) expect(() => probeBatch([item])).toThrow(InferenceError);
    expect(hasFeatures({ policy: 'x', features: { text: [] } })).toBe(true);
    expect(hasFeatures({ policy: 'x' })).toBe(false);
  });
});

describe('hf transport wire format', () => {
  it('POSTs {"inputs": {...}} JSON with the bearer token to the endpoint URL as given', async () => {
    const batch = randomBatch(3, 31);
    const fake = await fakeServer((_req, res) => json(res, 200, referenceForward(batch)));
    try {
      const b = createBackend({ transport: 'hf', url: `${fake.url}/some/endpoint`, token: 'hf_test_token', timeoutMs: 2000 });
      const scores = await b.infer(batch);
      expect(maxAbsDiff(scores, referenceForward(batch))).toBeLessThan(1e-9);
      const [req] = fake.requests;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/some/endpoint');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers.authorization).toBe('Bearer hf_test_token');
      expect(JSON.parse(req.body)).toEqual({ inputs: batch });
    } finally {
      await fake.close();
    }
  });
});

// ---- fault injection -------------------------------------------------------------------

async function refusedUrl(): Promise<string> {
  const s = await fakeServer(() => {});
  await s.close();
  return s.url;
}

/** Fake endpoint for a transport: OIP answers at /v2/models/avlm/infer, HF at the root. */
function endpoint(transport: 'oip' | 'hf', fake: FakeServer): string {
  return transport === 'oip' ? fake.url : `${fake.url}/`;
}

function oipScores(rows: number[][], over: Record<string, unknown> = {}) {
  return { model_name: 'avlm', outputs: [{ name: 'scores', datatype: 'FP32', shape: [rows.length, rows[0]?.length ?? 0], data: rows.flat(), ...over }] };
}

async function expectError(p: Promise<unknown>): Promise<InferenceError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

for (const transport of ['oip', 'hf'] as const) {
  describe(`${transport} transport under faults`, () => {
    const cfg = (url: string, over: Partial<BackendConfig> = {}) =>
      createBackend({ transport, url, model: 'avlm', timeoutMs: 1000, retries: 2, backoffMs: 1, maxBackoffMs: 5, ...over });
    const batch = randomBatch(2, 41);
    const good = referenceForward(batch);

    it('refused connection: retryable network error after bounded retries; ready() is false', async () => {
      const url = await refusedUrl();
      const err = await expectError(cfg(url).infer(batch));
      expect(err).toMatchObject({ code: 'network', retryable: true, attempts: 3 });
      expect(await cfg(url).ready()).toBe(false);
    });

    it('timeout: a server that never answers gives a retryable timeout per attempt', async () => {
      const fake = await fakeServer(() => { /* never answers */ });
      try {
        const t0 = Date.now();
        const err = await expectError(cfg(endpoint(transport, fake), { timeoutMs: 150, retries: 1 }).infer(batch));
        expect(err).toMatchObject({ code: 'timeout', retryable: true, attempts: 2 });
        expect(fake.requests).toHaveLength(2);
        expect(Date.now() - t0).toBeLessThan(3000);
      } finally {
        await fake.close();
      }
    });

    it('500: retried, then a retryable http error with the status', async () => {
      const fake = await fakeServer((_q, res) => json(res, 500, { error: 'boom' }));
      try {
        const err = await expectError(cfg(endpoint(transport, fake)).infer(batch));
        expect(err).toMatchObject({ code: 'http', status: 500, retryable: true, attempts: 3 });
        expect(fake.requests).toHaveLength(3);
      } finally {
        await fake.close();
      }
    });

    it('503 storm: exactly 1 + retries attempts, then an error (no endless retrying)', async () => {
      const fake = await fakeServer((_q, res) => json(res, 503, { error: 'loading' }));
      try {
        const err = await expectError(cfg(endpoint(transport, fake), { retries: 3 }).infer(batch));
        expect(err).toMatchObject({ code: 'http', status: 503, retryable: true, attempts: 4 });
        expect(fake.requests).toHaveLength(4);
        expect(await cfg(endpoint(transport, fake), { retries: 3 }).ready()).toBe(false);
      } finally {
        await fake.close();
      }
    });

    it('a 503 then 429 then success: recovers within the retry budget', async () => {
      const answer = transport === 'oip' ? oipScores(good) : good;
      const fake = await fakeServer((_q, res, _b, n) =>
        n === 1 ? json(res, 503, { error: 'loading' }) : n === 2 ? json(res, 429, { error: 'slow down' }, { 'retry-after': '0' }) : json(res, 200, answer));
      try {
        const scores = await cfg(endpoint(transport, fake)).infer(batch);
        expect(maxAbsDiff(scores, good)).toBeLessThan(1e-9);
        expect(fake.requests).toHaveLength(3);
      } finally {
        await fake.close();
      }
    });

    it('4xx is not retried', async () => {
      const fake = await fakeServer((_q, res) => json(res, 400, { error: 'bad tensor' }));
      try {
        const err = await expectError(cfg(endpoint(transport, fake)).infer(batch));
        expect(err).toMatchObject({ code: 'http', status: 400, retryable: false, attempts: 1 });
        expect(err.message).toMatch(/bad tensor/);
        expect(fake.requests).toHaveLength(1);
      } finally {
        await fake.close();
      }
    });

    const malformed: [string, unknown][] = transport === 'oip'
      ? [
          ['no outputs', { model_name: 'avlm' }],
          ['wrong output name', { model_name: 'avlm', outputs: [{ name: 'logits', datatype: 'FP32', shape: [2, P], data: good.flat() }] }],
          ['wrong datatype', oipScores(good, { datatype: 'INT32' })],
          ['wrong row count', oipScores(good, { shape: [1, P] })],
          ['wrong policy count', oipScores(good.map((r) => r.slice(1)))],
          ['data length ≠ shape', oipScores(good, { data: good.flat().slice(1) })],
          ['non-numeric score', oipScores(good, { data: ['x', ...good.flat().slice(1)] })],
          ['score outside [0, 1]', oipScores(good, { data: [1.5, ...good.flat().slice(1)] })],
          ['not JSON', 'not json at all'],
        ]
      : [
          ['an object instead of rows', { scores: good }],
          ['wrong row count', good.slice(1)],
          ['wrong policy count', good.map((r) => r.slice(1))],
          ['score outside [0, 1]', [[-0.5, ...good[0].slice(1)], good[1]]],
          ['not JSON', 'not json at all'],
        ];
    for (const [what, body] of malformed) {
      it(`malformed tensors (${what}) → non-retryable error after one attempt`, async () => {
        const fake = await fakeServer((_q, res) => {
          if (typeof body === 'string') {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(body);
          } else json(res, 200, body);
        });
        try {
          const err = await expectError(cfg(endpoint(transport, fake)).infer(batch));
          expect(err).toMatchObject({ code: 'malformed', retryable: false, attempts: 1 });
          expect(fake.requests).toHaveLength(1);
        } finally {
          await fake.close();
        }
      });
    }

    it("the caller's AbortSignal stops it without retries", async () => {
      const fake = await fakeServer(() => { /* never answers */ });
      try {
        const ctrl = new AbortController();
        setTimeout(() => ctrl.abort(), 50);
        const err = await expectError(cfg(endpoint(transport, fake), { timeoutMs: 5000 }).infer(batch, { signal: ctrl.signal }));
        expect(err).toMatchObject({ code: 'aborted', retryable: false });
        expect(fake.requests).toHaveLength(1);
      } finally {
        await fake.close();
      }
    });
  });
}

describe('backoff', () => {
  it('full jitter: uniform in [0, min(cap, base·2^attempt)]', () => {
    const policy = { retries: 5, backoffMs: 100, maxBackoffMs: 1000 };
    for (let k = 0; k < 6; k++) {
      const bound = Math.min(1000, 100 * 2 ** k);
      const draws = Array.from({ length: 200 }, () => backoffDelay(k, policy));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(bound);
      expect(Math.max(...draws)).toBeGreaterThan(bound * 0.5); // spread over the range, not a constant
    }
  });

  it('createBackend rejects an unknown transport', () => {
    expect(() => createBackend({ transport: 'grpc' as never, url: 'http://x' })).toThrow(InferenceError);
  });
});

describe('Workers safety', () => {
  it('the client imports no node: modules and no package but @huggingface/inference (transitively)', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(fileURLToPath(new URL('../../gpu-backend/client/index.ts', import.meta.url)));
    expect(seen.size).toBeGreaterThan(5);
    expect([...bare]).toEqual(['@huggingface/inference']);
  });
});
