/**
 * Response headers that describe one HTTP connection rather than the response. Hono's streaming helpers
 * set `Transfer-Encoding: chunked` and `Connection: keep-alive` for Node's http module; in a CGI response
 * the web server owns the framing (RFC 3875 §6.3.4), and one that believes them tries to de-chunk a
 * plain body (Caddy 2.6 fails with "invalid byte in chunk length").
 */
const CONNECTION_HEADERS = ['transfer-encoding', 'connection'] as const;

export function withoutConnectionHeaders(response: Response): Response {
  const { headers } = response;
  if (!headers.has('transfer-encoding') && !headers.has('connection')) return response;
  try {
    for (const name of CONNECTION_HEADERS) headers.delete(name);
    return response;
  } catch {
    // Immutable headers (a Response from fetch()): copy them into a new Response around the same body.
    const copy = new Headers(headers);
    for (const name of CONNECTION_HEADERS) copy.delete(name);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: copy,
    });
  }
}
