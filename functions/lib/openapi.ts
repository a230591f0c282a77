// The OpenAPIHono factory every router uses: request validation failures become our 400
// error shape, naming the field. AppRouteHandler: the type of every route's handler, so that
// its answers are checked against the route's response schemas.
import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { ApiError } from './errors.ts';

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        // An issue with the whole JSON body (not an object) has no path: name it "body".
        const field = issue.path.map(String).join('.') || (result.target === 'json' ? 'body' : result.target);
        const message = /received undefined/.test(issue.message) ? 'required' : issue.message;
        throw new ApiError(400, 'invalid_request', `${field}: ${message}`, { field, target: result.target });
      }
    },
  });
}

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
