import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FcgiClient } from '@fcgi/client';
import { errorCode, errorCodes, isConnectionError, messageOf } from '../errors';
import { writeBody } from '../output';
import { drainableRequestBody } from './request-body';

/** Connection-scoped headers (RFC 9110 §7.6.1) that a proxy must not pass on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

export interface ForwardOptions {
  /** Reports backend failures (the gateway's log). */
  onError?: (message: string) => void;
  /** A request body declared larger than this many bytes gets 413 without reaching the backend. */
  maxBodyBytes?: number;
  /**
   * The client buffers bodies of unknown length (its bufferRequestBody option): send them as a stream
   * whose cancel keeps the connection, so that one over the limit can still be answered with 413.
   */
  bufferBody?: boolean;
}

/**
 * Sends one HTTP request to the FastCGI backend and streams the answer back. Both bodies stream with
 * backpressure; the browser going away aborts the FastCGI request. A backend that cannot be reached
 * gets 502 (504 on timeout) with a one-line reason.
 */
export async function forwardRequest(
  client: FcgiClient,
  request: IncomingMessage,
  response: ServerResponse,
  options: ForwardOptions = {},
): Promise<void> {
  const socket = request.socket;
  const host =
    request.headers.host ?? `${formatHost(socket.localAddress ?? '127.0.0.1')}:${socket.localPort}`;
  let url: URL;
  try {
    url = new URL(request.url ?? '/', `http://${host}`);
  } catch {
    return sendError(response, 400, 'bad request target');
  }
  const remoteAddress = plainAddress(socket.remoteAddress ?? '');
  const headers = new Headers();
  try {
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i]!;
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, request.rawHeaders[i + 1]!);
    }
  } catch {
    return sendError(response, 400, 'bad request header');
  }
  const forwardedFor = headers.get('x-forwarded-for');
  headers.set('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress);
  headers.set('x-forwarded-proto', 'http');
  headers.set('x-forwarded-host', host);

  const aborter = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) aborter.abort();
  });
  const method = request.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD' && hasRequestBody(request);
  const declaredLength = Number(request.headers['content-length'] ?? 0);
  if (hasBody && options.maxBodyBytes !== undefined && declaredLength > options.maxBodyBytes) {
    return sendError(response, 413, `the request body is larger than ${options.maxBodyBytes} bytes`);
  }
  const body = !hasBody
    ? undefined
    : options.bufferBody
      ? drainableRequestBody(request)
      : (Readable.toWeb(request) as ReadableStream<Uint8Array>);
  let backendResponse: Response;
  try {
    backendResponse = await client.fetch(url, {
      method,
      headers,
      ...(body ? { body, duplex: 'half' } : {}),
      params: {
        REMOTE_ADDR: remoteAddress,
        REMOTE_PORT: String(socket.remotePort ?? ''),
        SERVER_ADDR: plainAddress(socket.localAddress ?? ''),
        SERVER_PORT: String(socket.localPort ?? ''),
        SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
        SERVER_SOFTWARE: 'fcgi-gateway',
      },
      signal: aborter.signal,
    } as RequestInit & { params: Record<string, string> });
  } catch (error) {
    if (aborter.signal.aborted) return;
    if (errorCodes(error).includes('REQUEST_BODY_TOO_LARGE')) {
      return sendError(response, 413, `the request body is larger than ${options.maxBodyBytes} bytes`);
    }
    const timedOut =
      errorCode(error) === 'ETIMEDOUT' || (error instanceof Error && error.name === 'TimeoutError');
    const reason = timedOut
      ? `the FastCGI backend did not answer in time: ${messageOf(error)}`
      : isConnectionError(error)
        ? `cannot reach the FastCGI backend: ${messageOf(error)}`
        : messageOf(error);
    options.onError?.(`${method} ${url.pathname}: ${reason}`);
    return sendError(response, timedOut ? 504 : 502, reason);
  }
  writeResponseHead(backendResponse, response);
  if (!backendResponse.body || method === 'HEAD') {
    await backendResponse.body?.cancel().catch(() => {});
    response.end();
    return;
  }
  try {
    await writeBody(backendResponse.body, response);
    response.end();
  } catch (error) {
    if (!aborter.signal.aborted)
      options.onError?.(`${method} ${url.pathname}: response stream failed: ${messageOf(error)}`);
    response.destroy();
  }
}

function writeResponseHead(from: Response, to: ServerResponse): void {
  from.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) to.setHeader(name, value);
  });
  const cookies = from.headers.getSetCookie();
  if (cookies.length > 0) to.setHeader('set-cookie', cookies);
  to.statusCode = from.status;
  if (from.statusText) to.statusMessage = from.statusText;
  to.flushHeaders();
}

/** A request has a body when it declares a non-zero length or is chunked (unknown length). */
function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  413: 'Content Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

function sendError(response: ServerResponse, status: number, reason: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = `${STATUS_TEXT[status] ?? 'Bad Gateway'}: ${reason}\n`;
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

/** "::ffff:127.0.0.1" → "127.0.0.1", as web servers put IPv4 clients in REMOTE_ADDR. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
