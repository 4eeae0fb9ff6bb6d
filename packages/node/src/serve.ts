import { type ServeOptions, type ServeResult, serve as serveHandler } from '@fcgi/responder';
import { type NodeApp, toFetchHandler } from './to-fetch-handler';

/**
 * Serves a node:http app (Express, Connect, Koa's `app.callback()`, Fastify's `app.server`, any
 * `(req, res)` listener) over FastCGI with `@fcgi/responder`: the same transports, limits and options.
 */
export function serve(app: NodeApp, options?: ServeOptions): Promise<ServeResult> {
  return serveHandler(toFetchHandler(app), options);
}
