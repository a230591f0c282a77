// Auth for the pages for people. A page accepts, in this order: the API's bearer header, a
// `?key=` query parameter, or the `avlm_key` cookie set by the login form. A valid `?key=` is
// moved into the cookie at once (303 to the same URL without it), so the key does not stay in
// the address bar, the history or a Referer. No key → 401 with the login form; a key outside
// its regions or scopes → 403 (thrown by requireAccess in the handlers).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, Principal } from '../../env.ts';
import { resolvePrincipal } from '../../middleware/auth.ts';
import { loginPage } from '../../pages/login.tsx';

export const COOKIE = 'avlm_key';
export const COOKIE_PATH = '/scorecards';
export const COOKIE_MAX_AGE = 8 * 3600;

export interface PagesEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { signedIn: boolean };
}

/** Headers on every page: private, not cached, not framed, no scripts, no outside assets. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

export const pageHeaders = createMiddleware<PagesEnv>(async (c, next) => {
  await next();
  for (const [k, v] of Object.entries(PAGE_HEADERS)) c.res.headers.set(k, v);
});

/** Bearer key as resolvePrincipal expects it; a key with whitespace is simply invalid. */
const asBearer = (key: string) => `Bearer ${key.trim()}`;

export const lookupKey = (env: AppEnv['Bindings'], key: string): Promise<Principal | null> =>
  /\s/.test(key.trim()) || !key.trim() ? Promise.resolve(null) : resolvePrincipal(env, asBearer(key));

export function setKeyCookie(c: Context<PagesEnv>, key: string) {
  setCookie(c, COOKIE, key.trim(), {
    httpOnly: true, sameSite: 'Strict', path: COOKIE_PATH, maxAge: COOKIE_MAX_AGE,
    secure: new URL(c.req.url).protocol === 'https:',
  });
}

export function clearKeyCookie(c: Context<PagesEnv>) {
  deleteCookie(c, COOKIE, { path: COOKIE_PATH, secure: new URL(c.req.url).protocol === 'https:' });
}

/** The page's own path and query without `key` (for redirects and the login form's `next`). */
export function selfWithoutKey(c: Context): string {
  const u = new URL(c.req.url);
  u.searchParams.delete('key');
  return u.pathname + u.search;
}

/**
 * Only paths of these pages are followed after login: /scorecards, /scorecards/XX,
 * /scorecards/interventions or /scorecards/interventions/{id}, /scorecards/XX/items, /scorecards/XX/slices/{slice}/items/{item},
 * with a query; anything else (other sites, //host, backslashes, the login page) goes to /scorecards.
 */
export function safeNext(next: string | undefined | null): string {
  const fallback = '/scorecards';
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  let u: URL;
  try { u = new URL(next, 'http://pages.invalid'); } catch { return fallback; }
  if (u.origin !== 'http://pages.invalid' || !/^\/scorecards(\/[A-Za-z]{2}(\/slices\/[^/]{1,400}\/items\/[^/]{1,400}|\/items)?|\/interventions(\/[A-Za-z0-9_-]{1,64})?)?$/.test(u.pathname)) return fallback;
  u.searchParams.delete('key');
  return u.pathname + u.search;
}

function loginResponse(c: Context<PagesEnv>, status: 401 | 403, message?: string) {
  return c.html(loginPage({ next: safeNext(selfWithoutKey(c)), message }), status);
}

/** Resolves the reader of a page, or answers 401 with the login form. */
export const requirePageKey = createMiddleware<PagesEnv>(async (c, next) => {
  const header = c.req.header('authorization');
  if (header) {
    const p = await resolvePrincipal(c.env, header);
    if (!p) return loginResponse(c, 401, 'The key in the Authorization header was not accepted.');
    c.set('principal', p);
    c.set('signedIn', false);
    return next();
  }
  const queryKey = c.req.query('key');
  if (queryKey !== undefined) {
    const p = await lookupKey(c.env, queryKey);
    if (!p) return loginResponse(c, 401, 'The key in the link was not accepted.');
    setKeyCookie(c, queryKey);
    return c.redirect(selfWithoutKey(c), 303);
  }
  const cookieKey = getCookie(c, COOKIE);
  if (cookieKey) {
    const p = await lookupKey(c.env, cookieKey);
    if (!p) {
      clearKeyCookie(c);
      return loginResponse(c, 401, 'Your saved key is no longer accepted (revoked or changed). Sign in again.');
    }
    c.set('principal', p);
    c.set('signedIn', true);
    return next();
  }
  return loginResponse(c, 401);
});
