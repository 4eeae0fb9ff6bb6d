/**
 * The conformance app (README, "Routes") as a plain fetch handler. It depends on nothing FastCGI-specific, so
 * the same routes can be served by @fcgi/responder or exercised directly in unit tests.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { countBody, digestBody } from './body';
import { patternStream } from './byte-pattern';
import { eventStream } from './event-stream';
import { badRequest, json, methodNotAllowed, notFound, TEXT_PLAIN, text } from './responses';
import type { AppStats } from './stats';
import { boundedInteger, decodedPath, queryObject } from './url-parts';

export type ConformanceHandler = (request: Request) => Promise<Response>;

export interface ConformanceAppOptions {
  /** When given, the counters are updated and served at GET /__stats. */
  stats?: AppStats;
}

export const MAX_BYTES = 1024 * 1024 * 1024;
export const MAX_SLOW_MS = 120_000;
const HELLO = 'Hello, World!';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([204, 304]);

type Route = (request: Request, url: URL, stats: AppStats | undefined) => Response | Promise<Response>;

/** Calls `onAbort` if the request's signal fires while `isComplete()` is still false. */
function watchAbort(request: Request, stats: AppStats | undefined, isComplete: () => boolean): void {
  if (!stats) return;
  request.signal.addEventListener(
    'abort',
    () => {
      if (!isComplete()) stats.aborted += 1;
    },
    { once: true },
  );
}

const hello: Route = (request) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
  const headers = { 'content-type': TEXT_PLAIN, 'content-length': String(HELLO.length) };
  return new Response(request.method === 'HEAD' ? null : HELLO, { headers });
};

const echoRequest: Route = async (request, url) => {
  const bodyLength = await countBody(request.body);
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of request.headers) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return json({
    method: request.method,
    url: request.url,
    path: decodedPath(url),
    query: queryObject(url),
    headers,
    bodyLength,
  });
};

function knownContentLength(request: Request): string | undefined {
  const value = request.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? value : undefined;
}

const echo: Route = (request) => {
  if (request.method !== 'POST' && request.method !== 'PUT') return methodNotAllowed('POST, PUT');
  const headers = new Headers({
    'content-type': request.headers.get('content-type') ?? 'application/octet-stream',
  });
  const length = knownContentLength(request);
  if (length !== undefined) headers.set('content-length', length);
  // The request stream is handed straight to the response: the responder pulls it chunk by chunk.
  return new Response(request.body, { headers });
};

const upload: Route = async (request) => {
  if (request.method !== 'POST' && request.method !== 'PUT') return methodNotAllowed('POST, PUT');
  return json(await digestBody(request.body));
};

const status: Route = (_request, url) => {
  const code = boundedInteger(url.pathname.slice('/status/'.length), 200, 599);
  if (code === undefined) return badRequest('status code must be an integer from 200 to 599');
  if (NULL_BODY_STATUSES.has(code)) return new Response(null, { status: code });
  const headers: Record<string, string> = {};
  if (REDIRECT_STATUSES.has(code)) headers.location = '/hello';
  if (code === 503) headers['retry-after'] = '5';
  return text(`status ${code}\n`, { status: code, headers });
};

const cookies: Route = () => {
  const headers = new Headers({ 'content-type': TEXT_PLAIN });
  headers.append('set-cookie', 'a=1; Path=/');
  headers.append('set-cookie', 'b=2; Path=/; HttpOnly');
  return new Response('cookies set\n', { headers });
};

const stream: Route = (request, _url, stats) => {
  let complete = false;
  watchAbort(request, stats, () => complete);
  const body = eventStream(request.signal).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush() {
        complete = true;
      },
    }),
  );
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    },
  });
};

const bytes: Route = (request, url, stats) => {
  const length = boundedInteger(url.searchParams.get('n'), 0, MAX_BYTES);
  if (length === undefined) return badRequest(`n must be an integer from 0 to ${MAX_BYTES}`);
  let complete = false;
  watchAbort(request, stats, () => complete);
  const body = patternStream(length, {
    onComplete: () => {
      complete = true;
    },
  });
  return new Response(body, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
  });
};

const slow: Route = async (request, url, stats) => {
  const ms = boundedInteger(url.searchParams.get('ms'), 0, MAX_SLOW_MS);
  if (ms === undefined) return badRequest(`ms must be an integer from 0 to ${MAX_SLOW_MS}`);
  let complete = false;
  watchAbort(request, stats, () => complete);
  // Rejects with the abort reason when the client goes away: there is nobody left to answer.
  await sleep(ms, undefined, { signal: request.signal });
  complete = true;
  return text(`slept ${ms}\n`);
};

const unicode: Route = (_request, url) => json({ path: decodedPath(url), query: queryObject(url) });

const exactRoutes = new Map<string, Route>([
  ['/hello', hello],
  ['/echo-request', echoRequest],
  ['/echo', echo],
  ['/upload', upload],
  ['/cookies', cookies],
  ['/stream', stream],
  ['/bytes', bytes],
  ['/slow', slow],
]);

function findRoute(pathname: string): Route | undefined {
  const exact = exactRoutes.get(pathname);
  if (exact) return exact;
  if (pathname.startsWith('/status/')) return status;
  if (pathname.startsWith('/unicode/')) return unicode;
  return undefined;
}

export function createConformanceApp(options: ConformanceAppOptions = {}): ConformanceHandler {
  const { stats } = options;
  return async (request) => {
    const url = new URL(request.url);
    if (stats && url.pathname === '/__stats') return json(stats);
    const route = findRoute(url.pathname);
    if (!route) return notFound();
    if (stats) {
      stats.requests += 1;
      stats.inFlight += 1;
    }
    try {
      return await route(request, url, stats);
    } finally {
      if (stats) stats.inFlight -= 1;
    }
  };
}
