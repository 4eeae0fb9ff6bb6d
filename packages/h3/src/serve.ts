import {
  type Handler,
  type ServeOptions,
  type ServeResult,
  serve as serveHandler,
  withLightResponseGlobally,
} from '@fcgi/responder';
import { attachRequestInfo, type FcgiHandlerContext } from './runtime';
import { createWaitUntilTracker } from './wait-until';

/** An h3 v2 app (`new H3()`), or anything else with a Web `fetch(request)`. */
export interface H3FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** A web handler taking a context, such as `toWebHandler(app)` from h3 v1 (or v2). */
export type H3WebHandler = (request: Request, context: FcgiHandlerContext) => Response | Promise<Response>;

export interface H3HandlerOptions {
  /** Receives the promises the app passes to `event.waitUntil()`; by default they just run. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface H3ServeOptions extends ServeOptions {
  /**
   * Replace the global `Response` with `@fcgi/responder`'s light Response while the server runs, so
   * the responses h3 builds are written without web streams. It is `instanceof` the runtime's Response
   * and the runtime's own responses (from `fetch()`) are `instanceof` it. Default true.
   */
  overrideGlobalResponse?: boolean;
}

const DEFAULT_CLOSE_TIMEOUT = 5000;

function runInBackground(promise: Promise<unknown>): void {
  Promise.resolve(promise).catch((error: unknown) =>
    console.error('[@fcgi/h3] a waitUntil() promise rejected:', error),
  );
}

/**
 * The FastCGI handler `(request, info) => Response` for an h3 app, for `@fcgi/responder`'s `serve()` or
 * `fcgi serve` / `fcgi dev` (`export default createH3Handler(app)`). Each request carries what srvx
 * gives h3 on other runtimes: `request.ip` (REMOTE_ADDR, so h3's `getRequestIP(event)` works),
 * `request.runtime = { name: 'fcgi', fcgi: info }` and `request.waitUntil`; a web handler (h3 v1's
 * `toWebHandler(app)`) also gets `{ clientAddress, fcgi }` as its context.
 */
export function createH3Handler(app: H3FetchApp | H3WebHandler, options: H3HandlerOptions = {}): Handler {
  const waitUntil = options.waitUntil ?? runInBackground;
  if (typeof app === 'function') {
    return (request, info) =>
      app(attachRequestInfo(request, info, waitUntil), { clientAddress: info.remoteAddress, fcgi: info });
  }
  return (request, info) => app.fetch(attachRequestInfo(request, info, waitUntil));
}

/**
 * Serves an h3 app over FastCGI: an h3 v2 app as is, an h3 v1 app as `toWebHandler(app)` (see
 * `createH3Handler` for what each request carries). `close()` also lets pending `event.waitUntil()`
 * work finish, for up to `closeTimeout` ms. Unless `overrideGlobalResponse` is false, the global `Response`
 * is the light one until the server closes.
 */
export async function serve(
  app: H3FetchApp | H3WebHandler,
  options: H3ServeOptions = {},
): Promise<ServeResult> {
  const tracker = createWaitUntilTracker();
  const server = await withLightResponseGlobally(options.overrideGlobalResponse, () =>
    serveHandler(createH3Handler(app, { waitUntil: tracker.waitUntil }), options),
  );
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
