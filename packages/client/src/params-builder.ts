/**
 * A CGI param value: a string is sent as UTF-8; bytes are sent as they are. Header values are kept as
 * bytes because a Headers value is a ByteString (one char per byte, as node:http decodes them), and
 * re-encoding it as UTF-8 would change every byte above 0x7F.
 */
export type ParamValue = string | Uint8Array;

export interface ParamsBuildOptions {
  /** Known byte length of the request body, or undefined when it is streamed without one. */
  contentLength: number | undefined;
  documentRoot?: string | undefined;
  scriptFilename?: string | ((url: URL) => string) | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  serverSoftware?: string | undefined;
  /** Client-wide params, then per-request params: each overrides what came before it. */
  overrides?: ReadonlyArray<Record<string, string> | undefined>;
}

const DEFAULT_SERVER_SOFTWARE = 'fcgi-client';
/** Headers that become CONTENT_TYPE/CONTENT_LENGTH instead of HTTP_* (RFC 3875 §4.1.18). */
const CONTENT_HEADERS = new Set(['content-type', 'content-length']);

function latin1Bytes(value: string): Uint8Array {
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  return bytes;
}

/** The CGI form of a header name: "X-Forwarded-For" → "HTTP_X_FORWARDED_FOR". */
export function headerParamName(name: string): string {
  return `HTTP_${name.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Whether a request header may become an HTTP_* param. `Proxy` never does: HTTP_PROXY is read as a
 * proxy setting by many CGI programs (httpoxy, CVE-2016-5385). Names with "_" are dropped because
 * "X_Real_IP" and "X-Real-IP" would map to the same param and let a client spoof the one a front
 * server sets (nginx's default, underscores_in_headers off, does the same).
 */
export function isForwardableHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower !== 'proxy' && !CONTENT_HEADERS.has(lower) && !lower.includes('_');
}

function safeDecodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/**
 * The CGI/1.1 params for a request, in the order a web server would send them. SCRIPT_NAME is the whole
 * decoded path and PATH_INFO is empty (no split is possible without a file system); override either
 * through params when the backend needs a split.
 */
export function buildParams(
  request: Request,
  url: URL,
  options: ParamsBuildOptions,
): Map<string, ParamValue> {
  const params = new Map<string, ParamValue>();
  const https = url.protocol === 'https:';
  const scriptName = safeDecodePath(url.pathname);

  params.set('GATEWAY_INTERFACE', 'CGI/1.1');
  params.set('SERVER_SOFTWARE', options.serverSoftware ?? DEFAULT_SERVER_SOFTWARE);
  params.set('SERVER_PROTOCOL', 'HTTP/1.1');
  params.set('SERVER_NAME', url.hostname.replace(/^\[(.*)\]$/, '$1'));
  params.set('SERVER_PORT', url.port || (https ? '443' : '80'));
  params.set('REQUEST_SCHEME', https ? 'https' : 'http');
  params.set('REQUEST_METHOD', request.method);
  params.set('REQUEST_URI', `${url.pathname}${url.search}`);
  params.set('SCRIPT_NAME', scriptName);
  params.set('PATH_INFO', '');
  params.set('QUERY_STRING', url.search.slice(1));
  if (options.documentRoot !== undefined) params.set('DOCUMENT_ROOT', options.documentRoot);
  const scriptFilename =
    typeof options.scriptFilename === 'function' ? options.scriptFilename(url) : options.scriptFilename;
  if (scriptFilename !== undefined) {
    params.set('SCRIPT_FILENAME', scriptFilename);
  } else if (options.documentRoot !== undefined) {
    // What nginx's `$document_root$fastcgi_script_name` gives, the usual php-fpm setup.
    params.set('SCRIPT_FILENAME', `${options.documentRoot.replace(/\/+$/, '')}${scriptName}`);
  }
  params.set('REMOTE_ADDR', options.remoteAddress ?? '127.0.0.1');
  if (options.remotePort !== undefined) params.set('REMOTE_PORT', String(options.remotePort));
  if (https) params.set('HTTPS', 'on');

  const contentType = request.headers.get('content-type');
  if (contentType !== null) params.set('CONTENT_TYPE', latin1Bytes(contentType));
  if (options.contentLength !== undefined) params.set('CONTENT_LENGTH', String(options.contentLength));

  request.headers.forEach((value, name) => {
    if (isForwardableHeader(name)) params.set(headerParamName(name), latin1Bytes(value));
  });
  // Every web server sends the Host; a Request built from a URL has none of its own.
  if (!params.has('HTTP_HOST')) params.set('HTTP_HOST', url.host);

  for (const layer of options.overrides ?? []) {
    if (layer === undefined) continue;
    for (const [name, value] of Object.entries(layer)) params.set(name, value);
  }
  return params;
}
