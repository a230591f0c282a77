// The typed client for the whole API: openapi-fetch over the types that client/generate.mjs
// writes from the Worker's OpenAPI document (client/schema.d.ts). Paths, parameters, bodies and
// responses are checked by tsc in callers (JSDoc), e.g.
//   const api = createApiClient({ url, key });
//   const { data, error } = await api.GET('/v1/regions/{region}/scorecard', { params: { path: { region: 'BR' }, query: { model: 'avlm', version: '4' } } });
import createClient from 'openapi-fetch';

/** @typedef {import('./schema.d.ts').paths} paths */
/** @typedef {import('./schema.d.ts').components} components */
/** @typedef {import('openapi-fetch').Client<paths>} ApiClient */

/**
 * @param {{ url: string, key?: string, fetch?: typeof globalThis.fetch }} opts
 * @returns {ApiClient}
 */
export function createApiClient({ url, key, fetch }) {
  return createClient({
    baseUrl: url.replace(/\/$/, ''),
    headers: key ? { authorization: `Bearer ${key}` } : {},
    ...(fetch ? { fetch } : {}),
  });
}
