import {
  type ServeOptions,
  type ServeResult,
  serve as serveHandler,
  withLightResponseGlobally,
} from '@fcgi/responder';
import type { AnyRouter } from '@trpc/server';
import { createTRPCHandler, type TRPCHandlerOptions } from './handler';

/**
 * Serves a tRPC router over FastCGI with tRPC's fetch adapter: `options` are `fetchRequestHandler`'s
 * (router, endpoint, createContext, onError, responseMeta...) without `req`, `serveOptions` are
 * `@fcgi/responder`'s (socketPath, port, limits...). Unless `serveOptions.overrideGlobalResponse` is
 * false, the global `Response` is the responder's light one until the server closes (see `@fcgi/hono`).
 */
export function serve<TRouter extends AnyRouter>(
  options: TRPCHandlerOptions<TRouter>,
  serveOptions: TRPCServeOptions = {},
): Promise<ServeResult> {
  return withLightResponseGlobally(serveOptions.overrideGlobalResponse, () =>
    serveHandler(createTRPCHandler(options), serveOptions),
  );
}

export interface TRPCServeOptions extends ServeOptions {
  /** Replace the global `Response` with the light one while the server runs. Default true. */
  overrideGlobalResponse?: boolean;
}

/** @deprecated Renamed {@link serve}, like every adapter's (`@fcgi/hono`, `@fcgi/h3`); removed in the next minor. */
export const serveTRPC = serve;
