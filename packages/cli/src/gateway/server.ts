import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@fcgi/client';
import { CliError, errorCode, messageOf } from '../errors';
import { type ForwardOptions, forwardRequest } from './forward';
import { createStaticFiles } from './static-files';

export interface GatewayOptions {
  /** The FastCGI backend, as createClient accepts it. */
  target: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** When the port is taken, listen on a free port instead of failing (for defaults, not explicit ports). */
  fallbackToFreePort?: boolean;
  /** Serve GET/HEAD for files under this directory before asking the backend; also DOCUMENT_ROOT. */
  root?: string;
  scriptFilename?: string;
  /**
   * Read request bodies without a Content-Length (chunked uploads) into memory first, up to
   * maxBodyBytes, and send them with CONTENT_LENGTH, as nginx does by default: PHP reads no body
   * without it. Default false: such bodies stream to the backend without CONTENT_LENGTH.
   */
  bufferBody?: boolean;
  /**
   * Largest request body accepted, in bytes; a larger declared Content-Length, or a buffered body that
   * grows past it, gets 413. Default: no limit, or 8 MiB with bufferBody (the buffer must be bounded).
   */
  maxBodyBytes?: number;
  /** Milliseconds until the backend's response head must have arrived, else 504. Default 60000. */
  timeout?: number;
  onError?: (message: string) => void;
  /** Called once per finished request with a log line: "GET /greet?name=Ada 200 3 ms (static)". */
  onRequest?: (line: string) => void;
}

export interface Gateway {
  /** "http://127.0.0.1:3000/" */
  readonly url: string;
  readonly address: AddressInfo;
  /** Stops accepting, lets requests in flight finish (up to `timeout` ms), then closes the backend pool. */
  close(timeout?: number): Promise<void>;
}

// nginx's fastcgi_read_timeout and fastcgi_connect_timeout defaults.
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** The bound on a buffered request body when none is given. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;

/** Starts the development HTTP gateway in front of a FastCGI backend. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes =
    options.maxBodyBytes ?? (options.bufferBody ? DEFAULT_MAX_BUFFERED_BODY_BYTES : undefined);
  const client = createClient(options.target, {
    ...(options.bufferBody ? { bufferRequestBody: maxBodyBytes } : {}),
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    connectTimeout: Math.min(options.timeout ?? DEFAULT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS),
    ...(options.root !== undefined ? { documentRoot: options.root } : {}),
    ...(options.scriptFilename !== undefined ? { scriptFilename: options.scriptFilename } : {}),
  });
  const fromDisk = new WeakSet<ServerResponse>();
  const serveStatic =
    options.root !== undefined
      ? createStaticFiles(options.root, { onAnswer: (response) => fromDisk.add(response) })
      : undefined;
  const forwardOptions: ForwardOptions = {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    ...(options.bufferBody ? { bufferBody: true } : {}),
  };
  const server = createServer((request, response) => {
    if (options.onRequest)
      logWhenDone(request, response, () => (fromDisk.has(response) ? ' (static)' : ''), options.onRequest);
    const handle = async () => {
      if (serveStatic && (await serveStatic(request, response))) return;
      await forwardRequest(client, request, response, forwardOptions);
    };
    handle().catch((error: unknown) => {
      options.onError?.(`${request.method} ${request.url}: ${messageOf(error)}`);
      if (!response.headersSent)
        response.writeHead(500, { 'content-type': 'text/plain' }).end('gateway error\n');
      else response.destroy();
    });
  });
  try {
    await listen(server, options.port, host);
  } catch (error) {
    if (errorCode(error) === 'EADDRINUSE' && options.fallbackToFreePort && options.port !== 0) {
      await listen(server, 0, host);
    } else {
      await client.close().catch(() => {});
      throw listenError(error, host, options.port);
    }
  }
  const address = server.address() as AddressInfo;
  const urlHost =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/`,
    address,
    async close(timeout = 5000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), timeout);
      await closed;
      clearTimeout(timer);
      await client.close().catch(() => {});
    },
  };
}

function logWhenDone(
  request: IncomingMessage,
  response: ServerResponse,
  source: () => string,
  log: (line: string) => void,
): void {
  const started = performance.now();
  response.once('close', () => {
    const ms = Math.round(performance.now() - started);
    const status = response.writableFinished ? String(response.statusCode) : 'aborted';
    log(`${request.method} ${request.url} ${status} ${ms} ms${source()}`);
  });
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  // once() rejects when 'error' comes first (EADDRINUSE, EACCES).
  const listening = once(server, 'listening');
  server.listen(port, host);
  await listening;
}

function listenError(error: unknown, host: string, port: number): CliError {
  const code = errorCode(error);
  if (code === 'EADDRINUSE')
    return new CliError(`port ${port} on ${host} is already in use; pick another with --listen`);
  if (code === 'EACCES')
    return new CliError(`not allowed to listen on ${host}:${port}; use a port above 1023`);
  return new CliError(`cannot listen on ${host}:${port}: ${messageOf(error)}`, undefined, { cause: error });
}
