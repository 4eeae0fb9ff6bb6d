/**
 * The cgi-fcgi column: libfcgi's `cgi-fcgi -bind -connect` run once per request, as a CGI program
 * whose environment becomes the FastCGI params. A small HTTP gateway in the test process turns each
 * HTTP request into one cgi-fcgi run (env + stdin) and its raw CGI output back into an HTTP response,
 * so the same checks drive it as the web servers.
 */

import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeEndpoint, type Endpoint } from '@fcgi/test-utils/processes';
import type { Backend } from '../conformance-app';
import type { RunningWebServer, StartWebServer } from './types';

/** Exit codes of cgi-fcgi's header-split bug (interop README, "cgi-fcgi's parser bug"): the output is garbage. */
export const CGI_FCGI_PARSER_BUG_EXITS = new Set([253, 254]);

let cgiFcgiPath: string | undefined;
function cgiFcgiCommand(): string {
  cgiFcgiPath ??= execFileSync('sh', ['-c', 'command -v cgi-fcgi'], { encoding: 'utf8' }).trim();
  return cgiFcgiPath;
}

function connectArgument(endpoint: Endpoint): string {
  return 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
}

/** The CGI environment for one request: what a web server would send as FastCGI params. */
export function cgiEnvironment(
  request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  server: { port: number; remoteAddress?: string; remotePort?: number },
): Record<string, string> {
  const target = request.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  let scriptName = rawPath;
  try {
    scriptName = decodeURIComponent(rawPath);
  } catch {
    // Keep the raw path: REQUEST_URI carries the truth anyway.
  }
  const env: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'fcgi-interop-gateway',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: String(server.port),
    REMOTE_ADDR: server.remoteAddress ?? '127.0.0.1',
    REMOTE_PORT: String(server.remotePort ?? 0),
    REQUEST_METHOD: request.method ?? 'GET',
    REQUEST_URI: target,
    SCRIPT_NAME: scriptName,
    QUERY_STRING: queryAt === -1 ? '' : target.slice(queryAt + 1),
  };
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'content-type') env.CONTENT_TYPE = joined;
    else if (name === 'content-length') env.CONTENT_LENGTH = joined;
    else env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = joined;
  }
  return env;
}

interface CgiHead {
  status: number;
  headers: string[]; // flat [name, value, name, value, ...] as res.writeHead takes it
}

/** Finds the end of the CGI head (a blank line, CRLF or LF) in `bytes`, or -1. */
function headEnd(bytes: Buffer): { at: number; length: number } | undefined {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

function parseCgiHead(text: string): CgiHead {
  const headers: string[] = [];
  let status: number | undefined;
  let location = false;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed CGI header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      status = Number.parseInt(value, 10);
      continue;
    }
    if (name.toLowerCase() === 'location') location = true;
    headers.push(name, value);
  }
  return { status: status ?? (location ? 302 : 200), headers };
}

/** Relays one cgi-fcgi run's output to `res`, with backpressure, once the CGI head is complete. */
function relay(child: ChildProcessWithoutNullStreams, res: ServerResponse, logFile: string): void {
  let pending: Buffer | undefined = Buffer.alloc(0);
  let exitCode: number | null | undefined;
  let stdoutEnded = false;
  const finish = () => {
    if (!stdoutEnded || exitCode === undefined || res.writableEnded || res.destroyed) return;
    if (exitCode === 0 && pending === undefined) {
      res.end();
      return;
    }
    appendFileSync(logFile, `cgi-fcgi exited with ${exitCode} for ${res.req.method} ${res.req.url}\n`);
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain', 'x-cgi-fcgi-exit': String(exitCode) });
      res.end(`cgi-fcgi exited with ${exitCode}\n`);
    } else {
      res.destroy(); // a truncated or garbled body must not look complete
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    if (pending !== undefined) {
      pending = Buffer.concat([pending, chunk]);
      const end = headEnd(pending);
      if (!end) return;
      let head: CgiHead;
      try {
        head = parseCgiHead(pending.subarray(0, end.at).toString('latin1'));
      } catch (error) {
        appendFileSync(logFile, `${(error as Error).message}\n`);
        child.kill('SIGKILL');
        return;
      }
      chunk = pending.subarray(end.at + end.length);
      pending = undefined;
      res.writeHead(head.status, head.headers);
      if (chunk.length === 0) return;
    }
    if (!res.write(chunk)) {
      child.stdout.pause();
      res.once('drain', () => child.stdout.resume());
    }
  });
  child.stdout.once('end', () => {
    stdoutEnded = true;
    finish();
  });
  child.once('close', (code) => {
    exitCode = code;
    stdoutEnded = true;
    finish();
  });
}

export async function startCgiFcgiGateway(logFile: string, backend: Backend): Promise<RunningWebServer> {
  const command = cgiFcgiCommand();
  const children = new Set<ChildProcessWithoutNullStreams>();
  // Node's default 16 KiB header limit would answer big-header checks with 431 before cgi-fcgi runs.
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    const env = cgiEnvironment(req, {
      port: (server.address() as AddressInfo).port,
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
    });
    const child = spawn(command, ['-bind', '-connect', connectArgument(backend.endpoint)], { env });
    children.add(child);
    child.once('close', () => children.delete(child));
    child.stderr.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
    child.stdin.on('error', () => {}); // cgi-fcgi may exit before reading the whole body
    req.pipe(child.stdin);
    relay(child, res, logFile);
    // The client went away before the response was complete: cgi-fcgi's exit closes the app's connection.
    res.once('close', () => {
      if (!res.writableFinished) child.kill('SIGKILL');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  appendFileSync(logFile, `gateway on 127.0.0.1:${port} -> ${describeEndpoint(backend.endpoint)}\n`);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      for (const child of children) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const startCgiFcgi: StartWebServer = (runDir, backend) =>
  startCgiFcgiGateway(runDir.file('cgi-fcgi.log'), backend);

/** Runs cgi-fcgi once and returns its raw stdout (the CGI head and body as the app wrote them). */
export function runCgiFcgi(
  endpoint: Endpoint,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cgiFcgiCommand(), ['-bind', '-connect', connectArgument(endpoint)], { env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(chunks) }));
    child.stdin.end();
  });
}
