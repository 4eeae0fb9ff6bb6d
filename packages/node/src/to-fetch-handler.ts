import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Handler } from '@fcgi/responder';
import { BridgeSocket } from './bridge-socket';

/** A node:http request listener: an Express or Connect app, Koa's `app.callback()`, or any `(req, res)`. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** What this package serves: a request listener, or a node:http Server whose 'request' listeners run. */
export type NodeApp = NodeListener | Pick<Server, 'emit' | 'listenerCount'>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function toListener(app: NodeApp): NodeListener {
  if (typeof app === 'function') return app;
  if (typeof app?.emit === 'function' && typeof app.listenerCount === 'function') {
    const server = app;
    // A Server (Fastify's `app.server`, or one made with http.createServer(listener)) dispatches to its
    // 'request' listeners, exactly as when it accepts a connection itself.
    return (req, res) => {
      if (!server.emit('request', req, res)) {
        throw new Error('The node:http server has no "request" listener to handle the request');
      }
    };
  }
  throw new TypeError('Expected a (req, res) request listener or a node:http Server');
}

/**
 * The FastCGI handler `(request, info) => Response` for a node:http app, for `@fcgi/responder`'s `serve()`,
 * `fcgi serve`, or anything else that takes a fetch handler with the responder's request info. The app
 * receives node:http's own IncomingMessage and ServerResponse: `req.url` is the raw REQUEST_URI,
 * `req.socket.remoteAddress`/`remotePort` the HTTP client as the web server saw it, the body streams both
 * ways with backpressure, and an aborted request emits 'aborted'/'close' as with node:http. A listener that
 * throws or rejects before responding gets the responder's 500 (or `onError`'s answer); after the head
 * went out, the response is cut and the request ends with an error status.
 */
export function toFetchHandler(app: NodeApp): Handler {
  const listener = toListener(app);
  return (request, info) => {
    const exchange = new BridgeSocket(request, info);
    try {
      const result = listener(exchange.req, exchange.res);
      if (isThenable(result)) result.then(undefined, (error: unknown) => exchange.fail(error));
    } catch (error) {
      exchange.fail(error);
    }
    return exchange.response();
  };
}
