import {
  type Handler,
  type RequestInfo,
  type ServeOptions,
  type ServeResult,
  serve as serveHandler,
} from '@fcgi/responder';
import { withoutConnectionHeaders } from './connection-headers';

/** What `serve()` needs from a Hono app: its `fetch(request, env)`. Any `Hono` instance fits. */
export interface HonoFetchApp {
  fetch(request: Request, env: RequestInfo): Response | Promise<Response>;
}

/**
 * The FastCGI handler `(request, info) => Response` for a Hono app, for `@fcgi/responder`'s `serve()` or
 * `fcgi serve` / `fcgi dev` (`export default createHonoHandler(app)`). `info` becomes Hono's `env`, and
 * connection headers set by Hono's streaming helpers are dropped (the web server frames the response).
 */
export function createHonoHandler(app: HonoFetchApp): Handler {
  return (request, info) => {
    const response = app.fetch(request, info);
    return response instanceof Response
      ? withoutConnectionHeaders(response)
      : response.then(withoutConnectionHeaders);
  };
}

/**
 * Serves a Hono app over FastCGI. Each request's `RequestInfo` (CGI params, client address, abort signal)
 * is passed as Hono's `env`, the way `@hono/node-server` passes its bindings, so handlers read it as
 * `c.env` (type the app with `new Hono<FcgiEnv>()` to get it typed).
 */
export function serve(app: HonoFetchApp, options?: ServeOptions): Promise<ServeResult> {
  return serveHandler(createHonoHandler(app), options);
}
