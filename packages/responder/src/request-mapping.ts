// CGI params → the parts of a Web Request (the rules are in this package's README, "The handler").
// Params arrive decoded as latin1, so every char code here is one byte as the web server sent it.

/** The params of one request by name (a Map: several times cheaper to build than an object). */
export type Params = ReadonlyMap<string, string>;

/**
 * Params by name. A repeated `HTTP_*` param is a request header sent more than once (nginx 1.22 and
 * HAProxy pass each copy), so its values are joined with ", " as HTTP does. Any other repeated name is a
 * CGI variable set twice — nginx sends REQUEST_URI twice when a config sets it after `include
 * fastcgi_params`, which already does — and, as in php-fpm, the last value wins.
 */
export function paramsMap(pairs: Iterable<readonly [string, string]>): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of pairs) {
    const previous = params.get(name);
    params.set(name, previous === undefined || !isHeaderParam(name) ? value : `${previous}, ${value}`);
  }
  return params;
}

function isHeaderParam(name: string): boolean {
  return name.startsWith('HTTP_');
}

/** The params as the read-only record RequestInfo exposes. */
export function paramsRecord(params: Params): Readonly<Record<string, string>> {
  const record: Record<string, string> = {};
  for (const [name, value] of params) record[name] = value;
  return Object.freeze(record);
}

// The Fetch standard upper-cases these methods whatever their case; others are kept as sent.
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export function requestMethod(params: Params): string {
  const method = params.get('REQUEST_METHOD') || 'GET';
  const upper = method.toUpperCase();
  return upper !== method && NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** CONTENT_LENGTH as a number, or undefined when absent, empty, -1 or not a length at all (unknown). */
export function declaredContentLength(params: Params): number | undefined {
  return contentLength(params.get('CONTENT_LENGTH'));
}

function contentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

export function isBodylessMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::\d{1,5})?$/;
// A URL the WHATWG parser returns unchanged: lower-case reg-name host, no default port, a path with no
// dot segments, only characters neither the path nor the query percent-encode set touches.
const CANONICAL_HOST = /^(?:[a-z](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z](?:[a-z0-9-]*[a-z0-9])?$/;
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const CANONICAL_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)|%2e/i;

/**
 * The request URL: scheme from HTTPS, host from HTTP_HOST (else SERVER_NAME[:SERVER_PORT]), target from
 * REQUEST_URI (else SCRIPT_NAME + PATH_INFO, re-encoded, + ?QUERY_STRING). Bytes a URL cannot hold
 * (controls, space, non-ASCII) are percent-encoded byte for byte, so a raw UTF-8 target decodes back to
 * the same text. Always returns a valid absolute URL.
 */
export function requestUrl(params: Params): string {
  const https = params.get('HTTPS') === 'on' || params.get('HTTPS') === 'ON' || params.get('HTTPS') === '1';
  const scheme = https ? 'https' : 'http';
  const host = requestHost(params, https);
  const target = requestTarget(params);
  const url = `${scheme}://${host}${target}`;
  if (isCanonical(host, target, https)) return url;
  try {
    return new URL(url).href;
  } catch {
    return new URL(`${scheme}://localhost${target}`).href;
  }
}

function requestHost(params: Params, https: boolean): string {
  const httpHost = params.get('HTTP_HOST');
  if (httpHost && HOST.test(httpHost)) return httpHost;
  const name = params.get('SERVER_NAME');
  if (!name) return 'localhost';
  const host = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  if (!HOST.test(host)) return 'localhost';
  const port = params.get('SERVER_PORT');
  if (!port || !/^\d{1,5}$/.test(port) || port === (https ? '443' : '80')) return host;
  return `${host}:${port}`;
}

function requestTarget(params: Params): string {
  const uri = params.get('REQUEST_URI');
  if (uri) return uri.startsWith('/') ? encodeTargetBytes(uri) : `/${encodeTargetBytes(uri)}`;
  const path = encodePathBytes(`${params.get('SCRIPT_NAME') ?? ''}${params.get('PATH_INFO') ?? ''}`) || '/';
  const query = params.get('QUERY_STRING');
  const target = path.startsWith('/') ? path : `/${path}`;
  return query ? `${target}?${encodeTargetBytes(query)}` : target;
}

function isCanonical(host: string, target: string, https: boolean): boolean {
  if (!CANONICAL_TARGET.test(target) || DOT_SEGMENT.test(target)) return false;
  const colon = host.lastIndexOf(':');
  const name = colon === -1 ? host : host.slice(0, colon);
  if (colon !== -1) {
    const port = host.slice(colon + 1);
    if (!/^[1-9]\d{0,4}$/.test(port) || Number(port) > 65535 || port === (https ? '443' : '80')) return false;
  }
  return CANONICAL_IPV4.test(name) || CANONICAL_HOST.test(name);
}

// Bytes never valid in a request target: controls, space, DEL and above, and the delimiters a URL
// parser would rewrite (backslash becomes "/" in http URLs; "#" would start a fragment).
const TARGET_UNSAFE = /[\x00-\x20\x7F-\xFF"#<>\\^`{|}]/g;
// A decoded path (SCRIPT_NAME/PATH_INFO): everything but unreserved, sub-delims, ":", "@" and "/".
const PATH_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g;

function percentByte(char: string): string {
  const code = char.charCodeAt(0);
  // latin1 params keep bytes ≤ 0xFF; a utf-8 decoded param could carry more, so encode those as UTF-8.
  if (code <= 0xff) return `%${code < 16 ? '0' : ''}${code.toString(16).toUpperCase()}`;
  return encodeURIComponent(char);
}

function encodeTargetBytes(raw: string): string {
  return raw.replace(TARGET_UNSAFE, percentByte);
}

function encodePathBytes(decoded: string): string {
  return decoded.replace(PATH_UNSAFE, percentByte);
}

/**
 * Request headers: every HTTP_* param (name after the prefix, "_" → "-"), plus Content-Type and
 * Content-Length from CONTENT_TYPE/CONTENT_LENGTH, never doubled by HTTP_CONTENT_TYPE/LENGTH. A param
 * that is not a valid header (bad name, CR/LF/NUL in the value) is skipped rather than thrown on.
 */
export function requestHeaders(params: Params): Headers {
  const headers = new Headers();
  appendRequestHeaders(headers, params);
  return headers;
}

/** Appends the request headers (see requestHeaders) to `headers`: a standard Request's own, say. */
export function appendRequestHeaders(headers: Headers, params: Params): void {
  const contentType = params.get('CONTENT_TYPE') || params.get('HTTP_CONTENT_TYPE');
  if (contentType) safeAppend(headers, 'content-type', contentType);
  const length =
    contentLength(params.get('CONTENT_LENGTH')) ?? contentLength(params.get('HTTP_CONTENT_LENGTH'));
  if (length !== undefined) headers.set('content-length', String(length));
  for (const [name, value] of params) {
    if (!name.startsWith('HTTP_') || name === 'HTTP_CONTENT_TYPE' || name === 'HTTP_CONTENT_LENGTH') continue;
    safeAppend(headers, name.slice(5).replaceAll('_', '-').toLowerCase(), value);
  }
}

function safeAppend(headers: Headers, name: string, value: string): void {
  try {
    headers.append(name, value);
  } catch {
    // Not representable as an HTTP header (a web server would not have sent it): leave it in params only.
  }
}
