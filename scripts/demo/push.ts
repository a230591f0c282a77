// Writes a demo world through the public HTTP API, as a regional team would: one
// POST /v1/regions/{region}/slices per region × version, as NDJSON (SPEC §3, §8).
// Idempotent (a slice already stored answers 200 and counts as `existing`), retried on
// 5xx / 429 / network errors with exponential backoff, at most `concurrency` requests in
// flight, and a 202 (slice taken asynchronously) is polled until its summary is there.
// Workers-compatible: no node: imports; the fetch is injected (global fetch, or the
// Worker's own `exports.default.fetch` in tests).
import { sliceNdjson, type DemoSlice, type PlantedIntervention } from './world.ts';

export type FetchLike = (req: Request) => Promise<Response>;

export interface PushOptions {
  fetch: FetchLike;
  /** e.g. http://127.0.0.1:8787 (no trailing slash needed). */
  baseUrl: string;
  token: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Attempts per request on 5xx / 429 / network errors (default 6). */
  attempts?: number;
  /** First backoff in ms, doubled each retry (default 250). */
  backoffMs?: number;
  /** Poll interval for slices taken asynchronously (default 250 ms) … */
  pollMs?: number;
  /** … and how long to wait for one before giving up (default 10 min). */
  pollTimeoutMs?: number;
  /**
   * Send an explicit content-length. Needed in workerd, whose in-process Request carries none
   * (the service would take a length-less NDJSON body as a stream: 202, asynchronous); Node's
   * fetch adds it itself and rejects a second one under Miniflare's dispatcher. Default: only
   * in workerd.
   */
  contentLength?: boolean;
  /** Called after each slice with its outcome. */
  onSlice?: (r: SlicePushResult, done: number, total: number) => void;
}

export interface SlicePushResult {
  region: string;
  slice_id: string;
  /** created (201) | existing (200) | async (202, then polled to completion) | conflict (409) | failed */
  outcome: 'created' | 'existing' | 'async' | 'conflict' | 'failed';
  status: number;
  items?: number;
  failures?: number;
  excluded?: number;
  pending?: number;
  by_signature?: Record<string, number>;
  retries: number;
  error?: string;
}

export interface PushCounts {
  slices: number;
  created: number;
  existing: number;
  async: number;
  conflicts: number;
  failed: number;
  retries: number;
  /** Items, failures, excluded, pending as the service reported them, over stored slices. */
  items: number;
  failures: number;
  excluded: number;
  pending: number;
  results: SlicePushResult[];
  /** Intervention records (after the slices): new, already there (identical record listed), failed; ids in the world's order ('' when failed). */
  interventions: InterventionPushCounts;
}

export interface InterventionPushCounts { recorded: number; existing: number; failed: number; errors: string[]; ids: string[] }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const join = (base: string, path: string) => base.replace(/\/+$/, '') + path;
const retryable = (status: number) => status >= 500 || status === 429;

interface Answer { status: number; body: any }

/** One request with retries; returns the last answer (never throws for HTTP statuses). */
async function request(
  opts: Required<Pick<PushOptions, 'fetch' | 'attempts' | 'backoffMs'>>,
  make: () => Request,
  counter: { retries: number },
): Promise<Answer> {
  let lastError = '';
  for (let attempt = 0; attempt < opts.attempts; attempt++) {
    if (attempt > 0) {
      counter.retries++;
      await sleep(opts.backoffMs * 2 ** (attempt - 1));
    }
    let res: Response;
    try {
      res = await opts.fetch(make());
    } catch (e) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      lastError = `network: ${(e as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`;
      continue;
    }
    const text = await res.text();
    let body: any = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = text; }
    if (retryable(res.status) && attempt < opts.attempts - 1) {
      lastError = `${res.status} ${typeof body === 'object' && body?.error ? body.error.message : String(text).slice(0, 200)}`;
      continue;
    }
    return { status: res.status, body };
  }
  return { status: 0, body: { error: { code: 'unreachable', message: lastError } } };
}

/** GET a JSON document with the same retries as the push (5xx / 429 / network). */
export async function getJson(
  options: Pick<PushOptions, 'fetch' | 'baseUrl' | 'token' | 'attempts' | 'backoffMs'>,
  path: string,
): Promise<{ status: number; body: any }> {
  const url = join(options.baseUrl, path);
  return request(
    { fetch: options.fetch, attempts: options.attempts ?? 6, backoffMs: options.backoffMs ?? 250 },
    () => new Request(url, { headers: { authorization: `Bearer ${options.token}` } }),
    { retries: 0 },
  );
}

/** Runs `fn` over `xs` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= xs.length) return;
      out[i] = await fn(xs[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, xs.length)) }, worker));
  return out;
}

const errorText = (a: Answer) => (a.body && typeof a.body === 'object' && a.body.error ? `${a.body.error.code}: ${a.body.error.message}` : `HTTP ${a.status}`);

const sameSet = (a: readonly string[] = [], b: readonly string[] = []) => {
  const x = [...new Set(a)].sort(), y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** Same intervention, targets (as sets) and note: the record the demo would write again. */
export function sameRecord(listed: any, want: Pick<PlantedIntervention, 'intervention' | 'targets' | 'note'> & { targets: { policies?: string[] } }): boolean {
  return listed?.intervention === want.intervention && (listed.note ?? null) === (want.note ?? null)
    && sameSet(listed.targets?.signatures, want.targets.signatures) && sameSet(listed.targets?.regions, want.targets.regions)
    && sameSet(listed.targets?.policies, want.targets.policies);
}

/**
 * Records the world's planted interventions (POST /v1/interventions). A record is not
 * idempotent by itself, so each version's list (GET /v1/interventions?model=&version=) is read
 * first and an identical record (same intervention, targets and note) is not written again.
 */
export async function recordInterventions(
  world: { model: string; interventions: readonly PlantedIntervention[] },
  options: Pick<PushOptions, 'fetch' | 'baseUrl' | 'token' | 'attempts' | 'backoffMs'>,
): Promise<InterventionPushCounts> {
  const opts = { fetch: options.fetch, attempts: options.attempts ?? 6, backoffMs: options.backoffMs ?? 250 };
  const out: InterventionPushCounts = { recorded: 0, existing: 0, failed: 0, errors: [], ids: [] };
  const listed = new Map<string, any[]>();
  for (const rec of world.interventions) {
    let have = listed.get(rec.version);
    if (!have) {
      const r = await getJson(options, `/v1/interventions?model=${encodeURIComponent(world.model)}&version=${encodeURIComponent(rec.version)}`);
      if (r.status !== 200) { out.failed++; out.ids.push(''); out.errors.push(`list v${rec.version}: ${errorText(r)}`); continue; }
      listed.set(rec.version, (have = r.body.interventions as any[]));
    }
    const same = have.find((x) => sameRecord(x, rec));
    if (same) { out.existing++; out.ids.push(same.id); continue; }
    const body = JSON.stringify({ intervention: rec.intervention, model: { id: world.model, version: rec.version }, targets: rec.targets, note: rec.note, applied_at: rec.applied_at });
    // Not retried on 5xx: a lost answer could mean a stored record, and a retry a duplicate.
    const r = await request({ ...opts, attempts: 1 }, () => new Request(join(options.baseUrl, '/v1/interventions'), {
      method: 'POST', headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }, body,
    }), { retries: 0 });
    if (r.status !== 201) { out.failed++; out.ids.push(''); out.errors.push(`${rec.intervention} v${rec.version}: ${errorText(r)}`); continue; }
    out.recorded++;
    out.ids.push(r.body.id);
    have.push(r.body);
  }
  return out;
}

/**
 * Pushes every slice of the world (region × version), then — when the world has them — records
 * its planted interventions. Resolves with counts; never rejects on HTTP errors.
 */
export async function pushWorld(world: { slices: readonly DemoSlice[]; model?: string; interventions?: readonly PlantedIntervention[] }, options: PushOptions): Promise<PushCounts> {
  const opts = {
    fetch: options.fetch, attempts: options.attempts ?? 6, backoffMs: options.backoffMs ?? 250,
  };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const pollMs = options.pollMs ?? 250;
  const pollTimeoutMs = options.pollTimeoutMs ?? 600_000;
  const auth = { authorization: `Bearer ${options.token}` };
  const inWorkerd = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';
  const withLength = options.contentLength ?? inWorkerd;
  const slices = world.slices;
  const results: SlicePushResult[] = new Array(slices.length);
  let done = 0;

  const pushOne = async (slice: DemoSlice): Promise<SlicePushResult> => {
    const counter = { retries: 0 };
    const bytes = new TextEncoder().encode(sliceNdjson(slice));
    const url = join(options.baseUrl, `/v1/regions/${slice.region}/slices`);
    const post = await request(opts, () => new Request(url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson', ...(withLength ? { 'content-length': String(bytes.byteLength) } : {}) },
      body: bytes,
    }), counter);
    const base = { region: slice.region, slice_id: slice.slice_id, status: post.status, retries: counter.retries };
    const summary = (b: any) => ({ items: b.items, failures: b.failures, excluded: b.excluded, pending: b.pending, by_signature: b.by_signature });
    if (post.status === 201) return { ...base, outcome: 'created', ...summary(post.body) };
    if (post.status === 200) return { ...base, outcome: 'existing', ...summary(post.body) };
    if (post.status === 409) return { ...base, outcome: 'conflict', error: errorText(post) };
    if (post.status !== 202) return { ...base, outcome: 'failed', error: errorText(post) };
    // Taken asynchronously: poll the slice until it is no longer processing.
    const getUrl = join(options.baseUrl, `/v1/regions/${slice.region}/slices/${encodeURIComponent(slice.slice_id)}`);
    const until = Date.now() + pollTimeoutMs;
    for (;;) {
      await sleep(pollMs);
      const g = await request(opts, () => new Request(getUrl, { headers: auth }), counter);
      if (g.status === 200 && g.body?.status === 'failed') return { ...base, retries: counter.retries, outcome: 'failed', error: `slice failed: ${g.body.error ?? 'unknown'}` };
      if (g.status === 200 && g.body?.status !== 'processing') return { ...base, retries: counter.retries, outcome: 'async', ...summary(g.body) };
      if (g.status !== 200 && g.status !== 404) return { ...base, retries: counter.retries, outcome: 'failed', error: `poll: ${errorText(g)}` };
      if (Date.now() > until) return { ...base, retries: counter.retries, outcome: 'failed', error: `still processing after ${pollTimeoutMs} ms` };
    }
  };

  // One version after the other, as a platform evaluates them: a version's predecessor is the
  // version whose first slice arrived before its own (SPEC §9), so slices of version 2 must not
  // overtake the first slice of version 1. Within a version, `concurrency` slices in flight.
  const versions = [...new Set(slices.map((s) => s.model.version))];
  for (const version of versions) {
    const queue = slices.map((s, i) => [s, i] as const).filter(([s]) => s.model.version === version);
    let at = 0;
    const worker = async () => {
      for (;;) {
        const k = at++;
        if (k >= queue.length) return;
        const [slice, i] = queue[k];
        results[i] = await pushOne(slice);
        done++;
        options.onSlice?.(results[i], done, slices.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  }

  const counts: PushCounts = {
    slices: slices.length, created: 0, existing: 0, async: 0, conflicts: 0, failed: 0, retries: 0,
    items: 0, failures: 0, excluded: 0, pending: 0, results, interventions: emptyInterventionCounts(),
  };
  for (const r of results) {
    counts.retries += r.retries;
    if (r.outcome === 'conflict') counts.conflicts++;
    else if (r.outcome === 'failed') counts.failed++;
    else {
      counts[r.outcome]++;
      counts.items += r.items ?? 0;
      counts.failures += r.failures ?? 0;
      counts.excluded += r.excluded ?? 0;
      counts.pending += r.pending ?? 0;
    }
  }
  // Intervention records need their version's slices: only after every slice is stored.
  if (world.interventions?.length && world.model && !counts.failed && !counts.conflicts) {
    counts.interventions = await recordInterventions({ model: world.model, interventions: world.interventions }, options);
  }
  return counts;
}

const emptyInterventionCounts = (): InterventionPushCounts => ({ recorded: 0, existing: 0, failed: 0, errors: [], ids: [] });

/** Sums counts of several pushes (the CLI pushes region batch by region batch). */
export function addCounts(a: PushCounts, b: PushCounts): PushCounts {
  const ia = a.interventions, ib = b.interventions;
  const interventions = { recorded: ia.recorded + ib.recorded, existing: ia.existing + ib.existing, failed: ia.failed + ib.failed, errors: [...ia.errors, ...ib.errors], ids: [...ia.ids, ...ib.ids] };
  const out = { ...a, results: [...a.results, ...b.results], interventions };
  for (const k of ['slices', 'created', 'existing', 'async', 'conflicts', 'failed', 'retries', 'items', 'failures', 'excluded', 'pending'] as const) out[k] = a[k] + b[k];
  return out;
}

export const emptyCounts = (): PushCounts => ({
  slices: 0, created: 0, existing: 0, async: 0, conflicts: 0, failed: 0, retries: 0, items: 0, failures: 0, excluded: 0, pending: 0, results: [], interventions: emptyInterventionCounts(),
});
