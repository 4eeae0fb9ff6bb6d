import {
  type Handler,
  type RequestInfo,
  type ServeOptions,
  type ServeResult,
  serve as serveHandler,
  useLightResponseGlobally,
  withLightResponseGlobally,
} from '@fcgi/responder';

/** What `serve()` needs from a Hono app: its `fetch(request, env)`. Any `Hono` instance fits. */
export interface HonoFetchApp {
  fetch(request: Request, env: RequestInfo): Response | Promise<Response>;
}

export interface HonoHandlerOptions {
  /**
   * Replace the global `Response` with `@fcgi/responder`'s light Response, which the responder writes
   * without web streams (Hono's `c.text()`, `c.json()`, `c.body()` build a `new Response`). It is
   * `instanceof` the runtime's Response and the runtime's own responses (from `fetch()`) are
   * `instanceof` it; bodies, statics and errors are the standard ones, except that a byte body is kept
   * by reference rather than copied (as `@hono/node-server` does): do not change a buffer after
   * answering with it. Default true; false keeps the runtime's class.
   */
  overrideGlobalResponse?: boolean;
}

export interface HonoServeOptions extends ServeOptions, HonoHandlerOptions {}

// No header pass here: the responder drops Transfer-Encoding, Connection and the headers Connection
// names from every response as it writes it (Hono's streaming helpers set both for Node's http module,
// and in a CGI response the web server owns the framing).
function honoHandler(app: HonoFetchApp): Handler {
  return (request, info) => app.fetch(request, info);
}

/**
 * The FastCGI handler `(request, info) => Response` for a Hono app, for `@fcgi/responder`'s `serve()` or
 * `fcgi serve` / `fcgi dev` (`export default createHonoHandler(app)`). `info` becomes Hono's `env`, and
 * connection headers set by Hono's streaming helpers are dropped (the web server frames the response).
 * Unless `overrideGlobalResponse` is false, the global `Response` is the light one from here on.
 */
export function createHonoHandler(app: HonoFetchApp, options: HonoHandlerOptions = {}): Handler {
  if (options.overrideGlobalResponse !== false) useLightResponseGlobally();
  return honoHandler(app);
}

/**
 * Serves a Hono app over FastCGI. Each request's `RequestInfo` (CGI params, client address, abort signal)
 * is passed as Hono's `env`, the way `@hono/node-server` passes its bindings, so handlers read it as
 * `c.env` (type the app with `new Hono<FcgiEnv>()` to get it typed). Unless `overrideGlobalResponse` is
 * false, the global `Response` is the light one until the server closes.
 */
export function serve(app: HonoFetchApp, options: HonoServeOptions = {}): Promise<ServeResult> {
  return withLightResponseGlobally(options.overrideGlobalResponse, () =>
    serveHandler(honoHandler(app), options),
  );
}
