import type { RequestInfo } from '@fcgi/responder';

/**
 * The runtime context `@fcgi/h3` puts on each request, in the shape srvx uses for its own runtimes
 * (`{ name: 'node', node: {...} }`), so h3 exposes it as `event.runtime`.
 */
export interface FcgiRuntime {
  name: 'fcgi';
  fcgi: RequestInfo;
}

/**
 * The request an h3 v2 app receives from `@fcgi/h3`: the fields srvx sets on its requests and h3 reads
 * (`getRequestIP(event)` reads `ip`, `event.runtime` reads `runtime`, `event.waitUntil` calls `waitUntil`).
 */
export interface FcgiServerRequest extends Request {
  ip?: string | undefined;
  runtime?: FcgiRuntime;
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** The context handed to a web handler (h3 v1's `toWebHandler(app)`), which becomes `event.context`. */
export interface FcgiHandlerContext {
  /** h3 v1 and v2 both return `context.clientAddress` from `getRequestIP(event)`. */
  clientAddress: string | undefined;
  fcgi: RequestInfo;
  [key: string]: unknown;
}

export function attachRequestInfo(
  request: Request,
  info: RequestInfo,
  waitUntil: (promise: Promise<unknown>) => void,
): FcgiServerRequest {
  const target = request as FcgiServerRequest;
  target.ip = info.remoteAddress;
  target.runtime = { name: 'fcgi', fcgi: info };
  target.waitUntil = waitUntil;
  return target;
}

/** What an h3 event looks like to `getRequestInfo()`: v2 events carry `req`, v1 events `context`. */
export interface EventLike {
  req?: unknown;
  context?: unknown;
}

/**
 * The FastCGI request info (CGI params, client address, abort signal) of an h3 event served by
 * `@fcgi/h3`: `event.runtime.fcgi` on h3 v2, `event.context.fcgi` on h3 v1. `undefined` when the
 * app was not served over FastCGI (for example in `app.request()` tests).
 */
export function getRequestInfo(event: EventLike): RequestInfo | undefined {
  const runtime = (event.req as FcgiServerRequest | undefined)?.runtime;
  if (runtime?.name === 'fcgi') return runtime.fcgi;
  const context = event.context as Partial<FcgiHandlerContext> | undefined;
  return context?.fcgi;
}
