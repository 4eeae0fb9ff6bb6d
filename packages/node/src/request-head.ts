import { IncomingMessage } from 'node:http';

/** The CGI params of one request, as `RequestInfo.params` gives them. */
export type Params = Readonly<Record<string, string>>;

const HEADER_PREFIX = 'HTTP_';
const DEFAULT_HTTP_VERSION = { major: 1, minor: 1 } as const;
const SERVER_PROTOCOL = /^HTTP\/(\d)(?:\.(\d))?$/;
const DECIMAL_LENGTH = /^\d{1,15}$/;

/**
 * The request target as node:http gives it in `req.url`: REQUEST_URI, the raw, still percent-encoded
 * path and query every web server sends. Without it, the path and query of the URL the responder built
 * from SCRIPT_NAME + PATH_INFO + QUERY_STRING.
 */
export function requestTarget(params: Params, request: Pick<Request, 'url'>): string {
  const uri = params.REQUEST_URI;
  if (uri) return uri.startsWith('/') || uri === '*' ? uri : `/${uri}`;
  // Read only when needed: a Request serialises its URL on every read of `url`.
  const url = new URL(request.url);
  return `${url.pathname}${url.search}`;
}

/** `req.httpVersion` from SERVER_PROTOCOL ("HTTP/1.1", "HTTP/2.0", "HTTP/2"); HTTP/1.1 when absent. */
export function httpVersion(params: Params): { major: number; minor: number } {
  const match = SERVER_PROTOCOL.exec(params.SERVER_PROTOCOL ?? '');
  if (!match) return DEFAULT_HTTP_VERSION;
  return { major: Number(match[1]), minor: Number(match[2] ?? '0') };
}

function declaredLength(value: string | undefined): string | undefined {
  return value !== undefined && DECIMAL_LENGTH.test(value) ? value : undefined;
}

// Header names repeat from request to request: their lower-case, dashed forms are kept (up to a bound,
// so a peer sending ever-new names cannot grow it).
const HEADER_NAME_CACHE_LIMIT = 512;
const headerNames = new Map<string, string>();

/** "HTTP_X_FORWARDED_FOR" → "x-forwarded-for". */
function headerName(param: string): string {
  let name = headerNames.get(param);
  if (name === undefined) {
    name = param.slice(HEADER_PREFIX.length).toLowerCase().replaceAll('_', '-');
    if (headerNames.size < HEADER_NAME_CACHE_LIMIT) headerNames.set(param, name);
  }
  return name;
}

/**
 * The request headers as node:http's flat `rawHeaders` list: every HTTP_* param (name lower-cased, "_" →
 * "-"), plus content-type and content-length from CONTENT_TYPE / CONTENT_LENGTH, never doubled by the
 * HTTP_CONTENT_* copies nginx, Caddy and lighttpd also send. A request with a body of unknown length
 * (CONTENT_LENGTH absent, empty or -1, as Caddy relays a chunked upload) gets `transfer-encoding: chunked`,
 * as it had on the wire: body parsers (type-is's hasBody) read a body only when one of the two is present.
 */
export function rawRequestHeaders(params: Params, hasBody: boolean): string[] {
  const raw: string[] = [];
  const type = params.CONTENT_TYPE || params.HTTP_CONTENT_TYPE;
  if (type) raw.push('content-type', type);
  const length = declaredLength(params.CONTENT_LENGTH) ?? declaredLength(params.HTTP_CONTENT_LENGTH);
  if (length !== undefined) raw.push('content-length', length);
  else if (hasBody && params.HTTP_TRANSFER_ENCODING === undefined) raw.push('transfer-encoding', 'chunked');
  for (const name in params) {
    if (!name.startsWith(HEADER_PREFIX)) continue;
    if (name === 'HTTP_CONTENT_TYPE' || name === 'HTTP_CONTENT_LENGTH') continue;
    raw.push(headerName(name), params[name] as string);
  }
  return raw;
}

// node:http's documented rules for repeated request headers: these keep the first value, set-cookie is
// always an array, cookie values are joined with "; ", every other header with ", ".
const SINGLE_VALUE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** `req.headers` from a lower-case rawHeaders list, by node:http's joining rules. */
export function joinRequestHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const previous = headers[name];
    if (name === 'set-cookie') {
      if (Array.isArray(previous)) previous.push(value);
      else headers[name] = [value];
    } else if (previous === undefined) headers[name] = value;
    else if (!SINGLE_VALUE.has(name)) headers[name] = `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

interface HeaderLineAdder {
  _addHeaderLines?(headers: string[], count: number): void;
}

/**
 * Whether this runtime's IncomingMessage takes its headers the way node:http's own parser hands them
 * over (`_addHeaderLines`): then `req.headers`, `req.headersDistinct` and `req.rawHeaders` are all Node's
 * own, computed lazily on first access. Checked once against the documented joining rules, so a runtime
 * where the method is missing or behaves differently falls back to assigning the headers directly.
 */
function nodeAddsHeaderLines(): boolean {
  const probe = Object.create(null) as Record<string, unknown>;
  try {
    const message = new IncomingMessage(undefined as never) as IncomingMessage & HeaderLineAdder;
    if (typeof message._addHeaderLines !== 'function') return false;
    const raw = ['set-cookie', 'a', 'x-dup', '1', 'x-dup', '2', 'host', 'one', 'host', 'two'];
    message._addHeaderLines(raw, raw.length);
    probe.headers = message.headers;
    probe.raw = message.rawHeaders;
  } catch {
    return false;
  }
  const headers = probe.headers as Record<string, unknown> | undefined;
  return (
    probe.raw !== undefined &&
    Array.isArray(headers?.['set-cookie']) &&
    headers?.['x-dup'] === '1, 2' &&
    headers?.host === 'one'
  );
}

let useNodeHeaderLines: boolean | undefined;

/** Gives `req` its headers: Node's own lazy computation when available, else {@link joinRequestHeaders}. */
export function applyRequestHeaders(req: IncomingMessage, raw: string[]): void {
  useNodeHeaderLines ??= nodeAddsHeaderLines();
  if (useNodeHeaderLines) {
    (req as IncomingMessage & HeaderLineAdder)._addHeaderLines?.(raw, raw.length);
    return;
  }
  req.rawHeaders = raw;
  req.headers = joinRequestHeaders(raw);
}
