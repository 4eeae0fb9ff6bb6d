import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono } from 'hono';

/**
 * The one app every backend serves, in the shape each server API wants. The routes and the exact
 * bytes are fixed here so the harness can check every backend's answers before timing them.
 */
export const HELLO_BODY = 'Hello, World!';
export const TEXT_TYPE = 'text/plain; charset=utf-8';
export const BINARY_TYPE = 'application/octet-stream';

/** Bytes of the /bytes body: a repeating ASCII pattern, so wrk's Lua and the checker agree. */
const PATTERN = '0123456789abcdef';

export function patternBytes(length: number): Buffer<ArrayBuffer> {
  return Buffer.from(PATTERN.repeat(Math.ceil(length / PATTERN.length)).slice(0, length), 'latin1');
}

export const MAX_BYTES = 16 * 1024 * 1024;

// Responses are served from a cache so every backend pays for serving the bytes, not making them.
const bytesCache = new Map<number, Buffer<ArrayBuffer>>();

/** The /bytes?n= body, or undefined for a missing, malformed or oversized n. */
export function bytesBody(query: string): Buffer<ArrayBuffer> | undefined {
  const match = /(?:^|&)n=(\d+)(?:&|$)/.exec(query);
  const length = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(length) || length > MAX_BYTES) return undefined;
  let body = bytesCache.get(length);
  if (!body) bytesCache.set(length, (body = patternBytes(length)));
  return body;
}

/** Splits a request target or absolute URL into path and query without building a URL object. */
function splitTarget(url: string): { path: string; query: string } {
  const origin = url.indexOf('://');
  const pathStart = origin === -1 ? 0 : url.indexOf('/', origin + 3);
  const target = pathStart === -1 ? '/' : url.slice(pathStart);
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/**
 * The app as a plain fetch handler: what a user hands to `serve()` without a framework. It is built
 * around a Response class so the same app can answer with the global Response or another one (such
 * as @fcgi/responder's opt-in light Response).
 */
export function createFetchApp(ResponseClass: typeof Response): (request: Request) => Promise<Response> {
  return async (request) => {
    const { path, query } = splitTarget(request.url);
    if (path === '/hello' && request.method === 'GET') {
      return new ResponseClass(HELLO_BODY, { headers: { 'content-type': TEXT_TYPE } });
    }
    if (path === '/echo' && request.method === 'POST') {
      const body = await request.arrayBuffer();
      return new ResponseClass(body, { headers: { 'content-type': BINARY_TYPE } });
    }
    if (path === '/bytes' && request.method === 'GET') {
      const body = bytesBody(query);
      if (body) return new ResponseClass(body, { headers: { 'content-type': BINARY_TYPE } });
      return new ResponseClass('bad n\n', { status: 400 });
    }
    return new ResponseClass('not found\n', { status: 404 });
  };
}

export const fetchApp = createFetchApp(Response);

/** The same app written with Hono, as most users of `@hono/node-server` would write it. */
export function honoApp(): Hono {
  const app = new Hono();
  app.get('/hello', (c) => c.text(HELLO_BODY));
  app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': BINARY_TYPE }));
  app.get('/bytes', (c) => {
    const body = bytesBody(splitTarget(c.req.url).query);
    return body ? c.body(body, 200, { 'content-type': BINARY_TYPE }) : c.text('bad n\n', 400);
  });
  return app;
}

/** The same app for node:http-shaped servers (node:http itself and npm node-fastcgi). */
export function nodeApp(req: IncomingMessage, res: ServerResponse): void {
  const { path, query } = splitTarget(req.url ?? '/');
  if (path === '/hello' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': TEXT_TYPE, 'content-length': HELLO_BODY.length });
    res.end(HELLO_BODY);
    return;
  }
  if (path === '/echo' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': BINARY_TYPE, 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  if (path === '/bytes' && req.method === 'GET') {
    const body = bytesBody(query);
    if (body) {
      res.writeHead(200, { 'content-type': BINARY_TYPE, 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(400).end('bad n\n');
    return;
  }
  res.writeHead(404).end('not found\n');
}
