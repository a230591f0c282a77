// The Worker's HTTP app: routers per resource, one error shape, the OpenAPI document and docs.
import { HTTPException } from 'hono/http-exception';
import { except } from 'hono/combine';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { createRouter } from './lib/openapi.ts';
import { ApiError, errorBody } from './lib/errors.ts';
import { drainBody } from './lib/drain.ts';
import { authenticate } from './middleware/auth.ts';
import { jsonBodyLimit } from './middleware/body-limit.ts';
import { adminRouter } from './routes/admin/index.ts';
import { catalogRouter } from './routes/catalog/index.ts';
import { slicesRouter } from './routes/slices/index.ts';
import { scorecardRouter } from './routes/scorecard/index.ts';
import { overridesRouter } from './routes/overrides/index.ts';
import { versionsRouter } from './routes/versions/index.ts';
import { vendorsRouter } from './routes/vendors/index.ts';
import { webhooksRouter } from './routes/webhooks/index.ts';
import { qualityRouter } from './routes/quality/index.ts';
import { pagesRouter } from './routes/pages/index.ts';
import { interventionsRouter } from './routes/interventions/index.ts';
import { discoveryRouter } from './routes/discovery/index.ts';
import { subscriptionsRouter } from './routes/subscriptions/index.ts';
import { modelsRouter } from './routes/models/index.ts';
import { itemsRouter } from './routes/items/index.ts';
import { SliceJsonSchema } from './schemas/item.ts';
import { docsPage } from './pages/docs.tsx';
import { TAXONOMY_VERSION } from '../taxonomy/config.ts';

export const OPENAPI_INFO = {
  title: 'avlm-diag',
  version: '1.0.0',
  description: `Failure signatures, interventions and scorecards for an audio-visual-language moderation model (taxonomy ${TAXONOMY_VERSION}).`,
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
};

/** The document's top level. `origin`: where it was fetched from, so a client generated from a
 *  deployment's /openapi.json talks to that deployment; without one, the server the document
 *  is served from (a relative URL). */
export const openApiConfig = (origin?: string) => ({
  openapi: '3.1.0', info: OPENAPI_INFO, servers: [{ url: origin ?? '/', description: 'this deployment' }],
});

export function createApp(): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN or a region key' });
  app.openAPIRegistry.register('SliceSubmission', SliceJsonSchema);

  // Any answer given before the request body was read (401, 404, 415, …): read it first, so
  // the answer reaches a client still sending (lib/drain.ts).
  app.use('*', async (c, next) => {
    await next();
    if (!c.req.raw.bodyUsed) await drainBody(c.req.raw.body);
  });
  // Vendor webhooks are authenticated by their signature (routes/webhooks), not a bearer key.
  app.use('/v1/*', except('/v1/webhooks/*', authenticate));
  // Small JSON bodies only (slices and webhooks have their own limits).
  for (const path of ['/v1/admin/*', '/v1/interventions', '/v1/interventions/*', '/v1/regions/:region/interventions/*']) app.use(path, jsonBodyLimit);
  app.route('/', adminRouter);
  app.route('/', catalogRouter);
  app.route('/', slicesRouter);
  app.route('/', scorecardRouter);
  app.route('/', overridesRouter);
  app.route('/', versionsRouter);
  app.route('/', vendorsRouter);
  app.route('/', webhooksRouter);
  app.route('/', qualityRouter);
  app.route('/', interventionsRouter);
  app.route('/', discoveryRouter);
  app.route('/', subscriptionsRouter);
  app.route('/', modelsRouter);
  app.route('/', itemsRouter);

  app.get('/', (c) => c.redirect('/docs'));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.doc31('/openapi.json', (c) => openApiConfig(new URL(c.req.url).origin));
  app.route('/', pagesRouter);
  app.get('/docs', (c) => c.html(docsPage(app.getOpenAPI31Document(openApiConfig(new URL(c.req.url).origin)) as unknown as Parameters<typeof docsPage>[0])));

  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
    if (err instanceof HTTPException) {
      const status = err.status;
      const message = status === 400 ? `body: ${err.message}` : err.message;
      return c.json(errorBody(status === 400 ? 'invalid_request' : 'http_error', message), status);
    }
    // Unexpected: log the message (never headers or bodies: they may carry keys).
    console.error(`unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}: ${(err as Error).stack ?? err}`);
    return c.json(errorBody('internal', 'internal error'), 500);
  });
  return app;
}
