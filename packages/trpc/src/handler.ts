import type { Handler, RequestInfo } from '@fcgi/responder';
import type { AnyRouter, CreateContextCallback, inferRouterContext } from '@trpc/server';
import {
  type FetchCreateContextFnOptions,
  type FetchHandlerRequestOptions,
  fetchRequestHandler,
} from '@trpc/server/adapters/fetch';

/**
 * What `createContext` receives: the fetch adapter's own arguments (`req`, `resHeaders`, and `info`,
 * which is tRPC's procedure-call info) plus `fcgi`, the FastCGI request info (CGI params, client
 * address, abort signal). It is called `fcgi` so that it cannot be confused with tRPC's `info`.
 */
export interface FcgiCreateContextFnOptions extends FetchCreateContextFnOptions {
  fcgi: RequestInfo;
}

export type FcgiCreateContextFn<TRouter extends AnyRouter> = (
  opts: FcgiCreateContextFnOptions,
) => inferRouterContext<TRouter> | Promise<inferRouterContext<TRouter>>;

/** `fetchRequestHandler`'s options without `req` (each request supplies it), with a FastCGI-aware `createContext`. */
export type TRPCHandlerOptions<TRouter extends AnyRouter> = Omit<
  FetchHandlerRequestOptions<TRouter>,
  'req' | 'createContext'
> &
  CreateContextCallback<inferRouterContext<TRouter>, FcgiCreateContextFn<TRouter>>;

function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === '/') start++;
  while (end > start && path[end - 1] === '/') end--;
  return path.slice(start, end);
}

/**
 * fetchRequestHandler strips `endpoint.length` characters from any path without checking the prefix,
 * so `/other/greet` would run the `greet` procedure of a router served at `/trpc`.
 */
function isUnderEndpoint(url: string, endpoint: string): boolean {
  if (endpoint === '') return true;
  const path = trimSlashes(new URL(url).pathname);
  return path === endpoint || path.startsWith(`${endpoint}/`);
}

function notFound(): Response {
  return new Response('Not Found\n', {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/**
 * A FastCGI handler (`(request, info) => Response`) that answers tRPC calls under `endpoint` with
 * tRPC's fetch adapter, and 404 for any other path. Use it to combine tRPC with other routes;
 * `serve()` serves it directly.
 */
export function createTRPCHandler<TRouter extends AnyRouter>(options: TRPCHandlerOptions<TRouter>): Handler {
  const { createContext, ...fetchOptions } = options as Omit<FetchHandlerRequestOptions<TRouter>, 'req'> & {
    createContext?: FcgiCreateContextFn<TRouter>;
  };
  const endpoint = trimSlashes(options.endpoint);
  return (request, info) => {
    if (!isUnderEndpoint(request.url, endpoint)) return notFound();
    return fetchRequestHandler({
      ...fetchOptions,
      req: request,
      createContext:
        createContext && ((opts: FetchCreateContextFnOptions) => createContext({ ...opts, fcgi: info })),
    } as FetchHandlerRequestOptions<TRouter>);
  };
}
