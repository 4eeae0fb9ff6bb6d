import { type ServeOptions, type ServeResult, serve } from '@fcgi/responder';
import type { AnyRouter } from '@trpc/server';
import { createTRPCHandler, type TRPCHandlerOptions } from './handler';

/**
 * Serves a tRPC router over FastCGI with tRPC's fetch adapter: `options` are `fetchRequestHandler`'s
 * (router, endpoint, createContext, onError, responseMeta...) without `req`, `serveOptions` are
 * `@fcgi/responder`'s (socketPath, port, limits...).
 */
export function serveTRPC<TRouter extends AnyRouter>(
  options: TRPCHandlerOptions<TRouter>,
  serveOptions?: ServeOptions,
): Promise<ServeResult> {
  return serve(createTRPCHandler(options), serveOptions);
}
