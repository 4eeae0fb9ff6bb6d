/** Small constructors for the responses the conformance app sends, so every route spells them the same. */

export const TEXT_PLAIN = 'text/plain; charset=utf-8';

export function text(body: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', TEXT_PLAIN);
  return new Response(body, { ...init, headers });
}

export function json(value: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(value), { ...init, headers });
}

export function methodNotAllowed(allow: string): Response {
  return text('method not allowed\n', { status: 405, headers: { allow } });
}

export function badRequest(reason: string): Response {
  return text(`${reason}\n`, { status: 400 });
}

export function notFound(): Response {
  return text('not found\n', { status: 404 });
}
