import { type ServeOptions, type ServeResult, serve as serveHandler } from '@fcgi/responder';
import { attachRequestInfo, type FcgiHandlerContext } from './runtime';
import { createWaitUntilTracker } from './wait-until';

/** An h3 v2 app (`new H3()`), or anything else with a Web `fetch(request)`. */
export interface H3FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** A web handler taking a context, such as `toWebHandler(app)` from h3 v1 (or v2). */
export type H3WebHandler = (request: Request, context: FcgiHandlerContext) => Response | Promise<Response>;

const DEFAULT_CLOSE_TIMEOUT = 5000;

/**
 * Serves an h3 app over FastCGI. An h3 v2 app is passed as is; an h3 v1 app as `toWebHandler(app)`.
 * Each request carries what srvx gives h3 on other runtimes: `request.ip` (REMOTE_ADDR, so h3's
 * `getRequestIP(event)` works), `request.runtime = { name: 'fcgi', fcgi: info }` (read it with
 * `getRequestInfo(event)` or `event.runtime.fcgi`) and `request.waitUntil`; a web handler also gets
 * `{ clientAddress, fcgi }` as its context. `close()` lets pending `waitUntil` work finish.
 */
export async function serve(
  app: H3FetchApp | H3WebHandler,
  options: ServeOptions = {},
): Promise<ServeResult> {
  const tracker = createWaitUntilTracker();
  const server = await serveHandler((request, info) => {
    const fcgiRequest = attachRequestInfo(request, info, tracker.waitUntil);
    if (typeof app === 'function') return app(fcgiRequest, { clientAddress: info.remoteAddress, fcgi: info });
    return app.fetch(fcgiRequest);
  }, options);
  return {
    get address() {
      return server.address;
    },
    async close() {
      await server.close();
      await tracker.settle(options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT);
    },
  };
}
