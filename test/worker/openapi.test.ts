// The OpenAPI document and the docs page (SPEC §8: every route is in the OpenAPI document).
import { describe, it, expect } from 'vitest';
import { api } from './helpers.ts';
import { createApp } from '../../functions/app.ts';

/** The routes SPEC §8 and this suite rely on, as OpenAPI paths. */
const REQUIRED: Array<[method: string, path: string]> = [
  ['post', '/v1/admin/keys'],
  ['delete', '/v1/admin/keys/{id}'],
  ['get', '/v1/regions'],
  ['get', '/v1/policies'],
  ['get', '/v1/taxonomy'],
  ['get', '/v1/signatures/{code}'],
  ['post', '/v1/regions/{region}/slices'],
  ['get', '/v1/regions/{region}/slices/{slice_id}'],
  ['get', '/v1/regions/{region}/slices/{slice_id}/items/{item_id}'],
  ['get', '/v1/regions/{region}/scorecard'],
];

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 and lists every /v1 route with its method', async () => {
    const r = await api('/openapi.json', { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/json');
    const doc = r.data;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: 'avlm-diag', version: expect.any(String) });
    for (const [method, path] of REQUIRED) {
      expect(doc.paths[path], path).toBeDefined();
      expect(doc.paths[path][method], `${method} ${path}`).toBeDefined();
    }
  });

  it('every /v1 route the app serves is documented', () => {
    const app = createApp();
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } }) as any;
    const served = app.routes
      .filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL')
      .map((r) => [r.method.toLowerCase(), r.path.replace(/:([A-Za-z_]+)/g, '{$1}')] as const);
    expect(served.length).toBeGreaterThanOrEqual(REQUIRED.length);
    for (const [method, path] of served) expect(doc.paths?.[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it('documents auth, path parameters, error responses and the submission schemas', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const name of ['EvalItem', 'SliceSubmission', 'SliceSummary', 'ItemDiagnosis', 'Scorecard', 'Error', 'Rate']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const submit = doc.paths['/v1/regions/{region}/slices'].post;
    expect(Object.keys(submit.requestBody.content).sort()).toEqual(['application/json', 'application/x-ndjson']);
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['200', '201', '202', '400', '401', '403', '404', '409', '413', '415']));
    const item = doc.paths['/v1/regions/{region}/slices/{slice_id}/items/{item_id}'].get;
    expect(item.parameters.map((p: any) => p.name).sort()).toEqual(['item_id', 'region', 'slice_id']);
    const scorecard = doc.paths['/v1/regions/{region}/scorecard'].get;
    const q = scorecard.parameters.filter((p: any) => p.in === 'query');
    expect(q.map((p: any) => [p.name, p.required]).sort()).toEqual([['model', true], ['version', true]]);
    for (const [method, path] of REQUIRED) {
      const op = doc.paths[path][method];
      expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
      expect(op.responses['401'], `${method} ${path}`).toBeDefined();
      expect(typeof op.summary).toBe('string');
    }
    // The item schema says which fields are numbers in [0, 1].
    const pred = doc.components.schemas.EvalItem.properties.prediction;
    expect(JSON.stringify(pred)).toContain('"maximum":1');
  });
});

describe('request examples and error descriptions (issue 17)', () => {
  const GENERIC = ['Bad input; the message names the field (and line)', 'Key outside its regions or scopes', 'Not found'];
  const ops = (doc: any) => Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).map(([method, op]) => ({ name: `${method} ${path}`, op })));

  it('every request body has an example for each media type', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    const withBody = ops(doc).filter((o) => o.op.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(8);
    for (const { name, op } of withBody) {
      for (const [type, media] of Object.entries<any>(op.requestBody.content)) expect(media.example, `${name} ${type}`).toBeDefined();
    }
  });

  it('the examples are accepted by their routes (keys, vendors, slices)', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    const key = doc.paths['/v1/admin/keys'].post.requestBody.content['application/json'].example;
    expect((await api('/v1/admin/keys', { method: 'POST', json: key })).status).toBe(201);
    const vendor = doc.paths['/v1/admin/vendors'].post.requestBody.content['application/json'].example;
    expect((await api('/v1/admin/vendors', { method: 'POST', json: vendor })).status).toBe(201);
    const slice = doc.paths['/v1/regions/{region}/slices'].post.requestBody.content;
    expect((await api('/v1/regions/BR/slices', { method: 'POST', json: slice['application/json'].example })).status).toBe(201);
    const nd = await api('/v1/regions/BR/slices', { method: 'POST', body: slice['application/x-ndjson'].example.replace('br-2026-11-eval', 'br-nd'), headers: { 'content-type': 'application/x-ndjson' } });
    expect(nd.status).toBe(201);
  });

  it('every 4xx of every bearer route says when it happens', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    for (const { name, op } of ops(doc)) {
      expect(op.responses['401'], name).toBeDefined();
      for (const [status, r] of Object.entries<any>(op.responses)) {
        if (!/^4/.test(status)) continue;
        expect(GENERIC, `${name} ${status}: ${r.description}`).not.toContain(r.description);
        expect(r.content['application/json'].schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });
});

describe('GET /docs', () => {
  it('shows each request body: media type, fields and the example', async () => {
    const html = (await api('/docs', { token: null })).data as string;
    const section = (id: string) => html.slice(html.indexOf(`id="${id}"`), html.indexOf('</section>', html.indexOf(`id="${id}"`)));
    const rec = section('post-/v1/interventions');
    expect(rec).toContain('request body <code>application/json</code>, required: intervention (required)');
    expect(rec).toContain('TRAIN.MODALITY_DROPOUT');
    const slices = section('post-/v1/regions/{region}/slices');
    expect(slices).toContain('<code>application/x-ndjson</code>');
    expect(slices).toContain('slice_id (required)');
    expect(section('get-/v1/regions')).not.toContain('request body');
  });

  it('is an HTML page listing every documented route', async () => {
    const r = await api('/docs', { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = r.data as string;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('/openapi.json');
    const doc = (await api('/openapi.json', { token: null })).data;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(ops)) expect(html, `${method} ${path}`).toContain(`id="${method}-${path}"`);
    }
    for (const [method, path] of REQUIRED) {
      expect(html).toContain(`<code>${path}</code>`);
      expect(html).toContain(`id="${method}-${path}"`);
    }
  });

  it('/ redirects to /docs; /healthz answers; unknown routes are 404 in the error shape', async () => {
    const root = await api('/', { token: null, redirect: 'manual' });
    expect([301, 302, 303, 307, 308]).toContain(root.status);
    expect(root.headers.get('location')).toBe('/docs');
    expect((await api('/healthz', { token: null })).data).toEqual({ ok: true });
    const nf = await api('/v1/nope');
    expect(nf.status).toBe(404);
    expect(nf.data.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('/v1/nope') });
  });
});
