// The commands other than submit: one typed API call each (client/index.js), then the answer
// printed (cli/output.js). A 4xx is a ServerError with the server's message, a 5xx or network
// error is retried like submit's.
import { RetryableError, ServerError, UsageError } from './errors.js';
import { withRetries } from './retry.js';
import { getSlice, waitForSlice } from './submit.js';

/**
 * @typedef {{ api: import('../client/index.js').ApiClient, values: Record<string, any>, args: string[],
 *   retries: number, backoffMs: number, pollMs: number, waitS: number, log: (s: string) => void }} Ctx
 */

/** @param {Ctx} c @param {string} name */
export function need(c, name) {
  const v = c.values[name];
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return String(v);
}

/** @param {Ctx} c @param {number} i @param {string} what */
function arg(c, i, what) {
  const v = c.args[i];
  if (!v) throw new UsageError(`${what} is required`);
  return v;
}

/**
 * The data of an openapi-fetch call, or a ServerError / RetryableError.
 * @template T
 * @param {Ctx} c @param {() => Promise<{ data?: T, error?: unknown, response: Response }>} call
 * @returns {Promise<T>}
 */
export function call(c, call) {
  return withRetries(async () => {
    const r = await call().catch((e) => { throw new RetryableError(e.cause?.message ?? e.message); });
    if (r.response.status >= 500) throw new RetryableError(`server answered ${r.response.status}`, r.response.status);
    if (r.error !== undefined || r.data === undefined) throw new ServerError(r.response.status, /** @type {any} */ (r.error)?.error);
    return r.data;
  }, c);
}

const list = (/** @type {string} */ s) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** @type {Record<string, (c: Ctx) => Promise<{ kind: string, data: any, exitCode?: number }>>} */
export const COMMANDS = {
  async slice(c) {
    const region = need(c, 'region'); const id = arg(c, 0, 'SLICE_ID');
    const o = { ...c, region };
    return { kind: 'slice', data: c.values.wait ? await waitForSlice(o, id) : await getSlice(o, id) };
  },
  async scorecard(c) {
    const region = need(c, 'region');
    const query = { model: need(c, 'model'), version: need(c, 'version') };
    return { kind: 'scorecard', data: await call(c, () => c.api.GET('/v1/regions/{region}/scorecard', { params: { path: { region }, query } })) };
  },
  async models(c) {
    return { kind: 'models', data: await call(c, () => c.api.GET('/v1/models')) };
  },
  /* One page with --limit (and --cursor from the previous page's next_cursor); without --limit
     every page, followed to the end, printed as one list. */
  async slices(c) {
    const region = need(c, 'region');
    const filters = { ...(c.values.model ? { model: String(c.values.model) } : {}), ...(c.values.version ? { version: String(c.values.version) } : {}) };
    const page = (/** @type {number} */ limit, /** @type {string | undefined} */ cursor) =>
      call(c, () => c.api.GET('/v1/regions/{region}/slices', { params: { path: { region }, query: { ...filters, limit, ...(cursor ? { cursor } : {}) } } }));
    if (c.values.limit !== undefined) {
      const limit = Number(c.values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit: a whole number from 1 to 1000, got ${JSON.stringify(c.values.limit)}`);
      return { kind: 'slices', data: await page(limit, c.values.cursor ? String(c.values.cursor) : undefined) };
    }
    const all = [];
    let cursor = c.values.cursor ? String(c.values.cursor) : undefined;
    do {
      const p = await page(1000, cursor);
      all.push(...p.slices);
      cursor = p.next_cursor ?? undefined;
    } while (cursor);
    return { kind: 'slices', data: { slices: all, next_cursor: null } };
  },
  /* The items of a cell (SPEC §10): one page (--limit, --cursor), or with --export csv|ndjson
     every matching item streamed to stdout as the server sends it. --filter feature=value adds
     a discovery feature (language=pt, attr.creator_tier=new), as a discovered slice's items_url. */
  async items(c) {
    const region = need(c, 'region');
    /** @type {Record<string, string | number>} */
    const query = { model: need(c, 'model'), version: need(c, 'version') };
    for (const k of ['policy', 'signature', 'outcome']) if (c.values[k] !== undefined) query[k] = String(c.values[k]);
    if (c.values['slice-id'] !== undefined) query.slice_id = String(c.values['slice-id']);
    for (const f of /** @type {string[]} */ (c.values.filter ?? [])) {
      const eq = f.indexOf('=');
      if (eq <= 0) throw new UsageError(`--filter: feature=value, got ${JSON.stringify(f)}`);
      query[f.slice(0, eq)] = f.slice(eq + 1);
    }
    const params = { path: { region }, query: /** @type {any} */ (query) };
    if (c.values.export !== undefined) {
      const format = String(c.values.export);
      if (format !== 'csv' && format !== 'ndjson') throw new UsageError(`--export: csv or ndjson, got ${JSON.stringify(format)}`);
      query.format = format;
      const r = await withRetries(async () => {
        const res = await c.api.GET('/v1/regions/{region}/items', { params, parseAs: 'stream' }).catch((e) => { throw new RetryableError(e.cause?.message ?? e.message); });
        if (res.response.status >= 500) throw new RetryableError(`server answered ${res.response.status}`, res.response.status);
        if (res.response.status !== 200) throw new ServerError(res.response.status, (await res.response.json().catch(() => ({})))?.error);
        return res.response;
      }, c);
      return { kind: 'raw', data: null, stream: /** @type {ReadableStream<Uint8Array>} */ (r.body) };
    }
    if (c.values.limit !== undefined) {
      const limit = Number(c.values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit: a whole number from 1 to 1000, got ${JSON.stringify(c.values.limit)}`);
      query.limit = limit;
    }
    if (c.values.cursor !== undefined) query.cursor = String(c.values.cursor);
    return { kind: 'items', data: await call(c, () => c.api.GET('/v1/regions/{region}/items', { params })) };
  },
  /* Slice discovery (SPEC §11): with --region that region × version, else every region the key
     may see (`region` then one more feature). */
  async discovery(c) {
    /** @type {Record<string, string>} */
    const query = { model: need(c, 'model'), version: need(c, 'version') };
    if (c.values.signature !== undefined) query.signature = String(c.values.signature);
    if (c.values.region === undefined) {
      if (c.values.policy !== undefined) throw new UsageError('--policy needs --region (the global route pools every policy)');
      return { kind: 'discovery', data: await call(c, () => c.api.GET('/v1/discovery', { params: { query: /** @type {any} */ (query) } })) };
    }
    if (c.values.policy !== undefined) query.policy = String(c.values.policy);
    const region = String(c.values.region);
    return { kind: 'discovery', data: await call(c, () => c.api.GET('/v1/regions/{region}/discovery', { params: { path: { region }, query: /** @type {any} */ (query) } })) };
  },
  async compare(c) {
    const region = need(c, 'region');
    const query = { model: need(c, 'model'), from: need(c, 'from'), to: need(c, 'to') };
    return { kind: 'compare', data: await call(c, () => c.api.GET('/v1/regions/{region}/compare', { params: { path: { region }, query } })) };
  },
  /* A CI step: exit 1 when the gate fails, 0 when it passes, 2 when no answer was had (bad
     usage, a 4xx, or the server unreachable) — so a broken call never reads as a failed gate. */
  async gate(c) {
    const path = { model: need(c, 'model'), version: need(c, 'version') };
    const query = c.values.baseline === undefined ? {} : { baseline: String(c.values.baseline) };
    try {
      const data = await call(c, () => c.api.GET('/v1/models/{model}/versions/{version}/gate', { params: { path, query } }));
      return { kind: 'gate', data, exitCode: data.pass ? 0 : 1 };
    } catch (e) {
      if (e instanceof ServerError || e instanceof RetryableError) /** @type {any} */ (e).exitCode = 2;
      throw e;
    }
  },
  async keys(c) {
    const sub = arg(c, 0, 'keys create|list|revoke');
    if (sub === 'create') {
      const body = { regions: list(need(c, 'regions')), scopes: /** @type {any} */ (list(need(c, 'scopes'))), ...(c.values.note ? { note: String(c.values.note) } : {}) };
      return { kind: 'key', data: await call(c, () => c.api.POST('/v1/admin/keys', { body })) };
    }
    if (sub === 'revoke') {
      const id = arg(c, 1, 'KEY_ID');
      return { kind: 'revoked', data: await call(c, () => c.api.DELETE('/v1/admin/keys/{id}', { params: { path: { id } } })) };
    }
    if (sub === 'list') {
      const query = c.values.all ? { all: /** @type {const} */ ('true') } : {};
      return { kind: 'keys', data: await call(c, () => c.api.GET('/v1/admin/keys', { params: { query } })) };
    }
    throw new UsageError(`keys ${sub}: expected create, list or revoke`);
  },
  /* The vendor's own secret comes from an environment variable (--secret-env NAME), never from
     the command line, where it would stay in shell history and process lists. */
  async vendors(c) {
    const sub = c.args[0] ?? 'list';
    if (sub === 'list') return { kind: 'vendors', data: await call(c, () => c.api.GET('/v1/admin/vendors')) };
    const vendor = arg(c, 1, 'VENDOR');
    if (sub === 'show') return { kind: 'vendor', data: await call(c, () => c.api.GET('/v1/admin/vendors/{vendor}', { params: { path: { vendor } } })) };
    if (sub === 'create') {
      const body = {
        vendor, scheme: /** @type {any} */ (c.values.scheme ?? 'standard-webhooks'),
        ...(c.values['signature-header'] ? { signature_header: String(c.values['signature-header']) } : {}),
        ...(c.values['id-header'] ? { id_header: String(c.values['id-header']) } : {}),
        ...vendorSecret(c),
      };
      return { kind: 'vendor', data: await call(c, () => c.api.POST('/v1/admin/vendors', { body })) };
    }
    if (sub === 'rotate') {
      const overlap = c.values['overlap-seconds'];
      const own = vendorSecret(c);
      const body = overlap === undefined && !own.secret ? undefined : { ...(overlap === undefined ? {} : { overlap_seconds: Number(overlap) }), ...own };
      return { kind: 'vendor', data: await call(c, () => c.api.POST('/v1/admin/vendors/{vendor}/rotate', { params: { path: { vendor } }, body: /** @type {any} */ (body) })) };
    }
    throw new UsageError(`vendors ${sub}: expected list, show, create or rotate`);
  },
  /* Webhook subscriptions of regional teams (admin). The receiver's URL is --hook-url: --url is the server's. */
  async subscriptions(c) {
    const sub = c.args[0] ?? 'list';
    if (sub === 'list') return { kind: 'subscriptions', data: await call(c, () => c.api.GET('/v1/admin/subscriptions')) };
    if (sub === 'create') {
      const body = { url: need(c, 'hook-url'), regions: list(need(c, 'regions')), events: /** @type {any} */ (list(need(c, 'events'))) };
      return { kind: 'subscription', data: await call(c, () => c.api.POST('/v1/admin/subscriptions', { body })) };
    }
    const id = arg(c, 1, 'SUBSCRIPTION_ID');
    const path = { params: { path: { id } } };
    if (sub === 'show') return { kind: 'subscription', data: await call(c, () => c.api.GET('/v1/admin/subscriptions/{id}', path)) };
    if (sub === 'delete') return { kind: 'unsubscribed', data: await call(c, () => c.api.DELETE('/v1/admin/subscriptions/{id}', path)) };
    if (sub === 'deliveries') {
      const limit = c.values.limit === undefined ? undefined : Number(c.values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) throw new UsageError(`--limit: expected 1 to 1000, got ${JSON.stringify(c.values.limit)}`);
      const query = limit === undefined ? {} : { limit };
      return { kind: 'deliveries', data: await call(c, () => c.api.GET('/v1/admin/subscriptions/{id}/deliveries', { params: { path: { id }, query: /** @type {any} */ (query) } })) };
    }
    throw new UsageError(`subscriptions ${sub}: expected list, show, create, delete or deliveries`);
  },
};

/** `{secret}` from the environment variable named by --secret-env, or nothing. @param {Ctx} c @returns {{ secret?: string }} */
function vendorSecret(c) {
  const name = c.values['secret-env'];
  if (name === undefined) return {};
  const secret = process.env[String(name)];
  if (!secret) throw new UsageError(`--secret-env ${name}: that environment variable is not set`);
  return { secret };
}
