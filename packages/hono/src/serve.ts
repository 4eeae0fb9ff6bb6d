import {
  type RequestInfo,
  type ServeOptions,
  type ServeResult,
  serve as serveHandler,
} from '@fcgi/responder';

/** What `serve()` needs from a Hono app: its `fetch(request, env)`. Any `Hono` instance fits. */
export interface HonoFetchApp {
  fetch(request: Request, env: RequestInfo): Response | Promise<Response>;
}

/**
 * Serves a Hono app over FastCGI. Each request's `RequestInfo` (CGI params, client address, abort signal)
 * is passed as Hono's `env`, the way `@hono/node-server` passes its bindings, so handlers read it as
 * `c.env` (type the app with `new Hono<FcgiEnv>()` to get it typed).
 */
export function serve(app: HonoFetchApp, options?: ServeOptions): Promise<ServeResult> {
  return serveHandler((request, info) => app.fetch(request, info), options);
}
