// Pages for people (SPEC §8: GET /scorecards/{region}, GET /scorecards): server-rendered HTML,
// plain Hono routes outside the OpenAPI document. Mounted with app.route('/', pagesRouter).
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { csrf } from 'hono/csrf';
import { ApiError } from '../../lib/errors.ts';
import { errorPage } from '../../pages/login.tsx';
import { pageHeaders, requirePageKey, type PagesEnv } from './auth.ts';
import { gatePageHandler } from './gate.ts';
import { globalPage, interventionRecordPage, interventionsIndex, login, loginForm, logout, regionPage } from './handlers.ts';
import { itemDiagnosisPage } from './item.ts';
import { regionItemsPage } from './items.ts';

const HEADINGS: Record<number, string> = { 400: 'Bad request', 401: 'Sign in', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict' };

export const pagesRouter = new Hono<PagesEnv>();

pagesRouter.use('/scorecards', pageHeaders);
pagesRouter.use('/scorecards/*', pageHeaders);
// Login and logout are form posts: same-origin only (Origin / Sec-Fetch-Site), no cookie needed.
pagesRouter.use('/scorecards/login', csrf());
pagesRouter.use('/scorecards/logout', csrf());
pagesRouter.get('/scorecards/login', loginForm);
pagesRouter.post('/scorecards/login', login);
pagesRouter.post('/scorecards/logout', logout);
pagesRouter.get('/scorecards', requirePageKey, globalPage);
// Under /scorecards so the login cookie (path /scorecards) covers them; before /:region.
pagesRouter.get('/scorecards/interventions', requirePageKey, interventionsIndex);
pagesRouter.get('/scorecards/interventions/:id', requirePageKey, interventionRecordPage);
pagesRouter.get('/scorecards/gate', requirePageKey, gatePageHandler);
pagesRouter.get('/scorecards/:region', requirePageKey, regionPage);
pagesRouter.get('/scorecards/:region/slices/:slice/items/:item', requirePageKey, itemDiagnosisPage);
pagesRouter.get('/scorecards/:region/items', requirePageKey, regionItemsPage);

pagesRouter.onError((err, c) => {
  const signedIn = Boolean(c.get('signedIn'));
  if (err instanceof ApiError) {
    return c.html(errorPage(err.status, HEADINGS[err.status] ?? 'Error', err.message, { signedIn }), err.status);
  }
  if (err instanceof HTTPException) {
    const message = err.status === 403 ? 'Cross-site form submissions are refused. Use the form on this site.' : err.message || 'Request refused.';
    return c.html(errorPage(err.status, HEADINGS[err.status] ?? 'Error', message, { signedIn }), err.status);
  }
  console.error(`unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}: ${(err as Error).stack ?? err}`);
  return c.html(errorPage(500, 'Something went wrong', 'The page could not be built. The error was logged.', { signedIn }), 500);
});
