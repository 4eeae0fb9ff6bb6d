import type { RequestInfo } from '@fcgi/responder';

const text = (body: string, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Hello, World! as a plain fetch handler: Web-standard Request in, Response out. Nothing here is
 * FastCGI-specific except the optional second argument, which carries what the web server told us.
 */
export default async function hello(request: Request, info?: RequestInfo): Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case '/':
      return text('Hello, World!');

    // GET /greet?name=Ada reads the query string; POST /greet with a form body (name=Ada) reads the body.
    case '/greet': {
      if (request.method === 'POST') {
        const form = new URLSearchParams(await request.text());
        return text(`Hello, ${form.get('name') || 'stranger'}! (from a POST)`);
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD, POST' } });
      }
      return text(`Hello, ${url.searchParams.get('name') || 'stranger'}!`);
    }

    // What the web server sent with this request: the client's address and the raw CGI params.
    case '/params':
      return Response.json({
        method: request.method,
        url: request.url,
        remoteAddress: info?.remoteAddress ?? null,
        params: info?.params ?? {},
      });

    default:
      return text('not found\n', 404);
  }
}
