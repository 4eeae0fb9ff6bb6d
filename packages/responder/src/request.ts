import type { RequestBody } from './request-body';
import { requestHeaders, requestMethod, requestUrl } from './request-mapping';

/** What a Request is made from: the request's params, its STDIN, and its abort signal. */
export interface RequestSource {
  readonly params: Readonly<Record<string, string>>;
  /** null when the method carries no body (GET, HEAD) or the role has no STDIN. */
  readonly body: RequestBody | null;
  readonly signal: AbortSignal;
}

/** The one place a Request is built from FastCGI input. */
export function createRequest(source: RequestSource): Request {
  const init: RequestInit & { duplex?: 'half' } = {
    method: requestMethod(source.params),
    headers: requestHeaders(source.params),
    signal: source.signal,
  };
  if (source.body) {
    init.body = source.body.getStream();
    init.duplex = 'half';
  }
  return new Request(requestUrl(source.params), init);
}
