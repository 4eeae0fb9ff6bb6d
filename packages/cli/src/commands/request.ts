import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createClient } from '@fcgi/client';
import { backendError, CliError, messageOf, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { CliIO } from '../io';
import { writeBody } from '../output';
import { normalizeTarget, parseTimeout } from '../target';

export interface RequestCommandOptions {
  /** A target as createClient accepts it (see normalizeTarget). */
  target: string;
  /** An absolute path with optional query ("/ping?full"), or a full http(s) URL. */
  path: string;
  method?: string;
  headers?: Array<[string, string]>;
  body?: Uint8Array<ArrayBuffer> | string;
  /** Print the status line and headers before the body, like curl -i. */
  include?: boolean;
  scriptFilename?: string;
  documentRoot?: string;
  params?: Record<string, string>;
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** `fcgi request`: parses the arguments, then runs the request. */
export async function requestCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      method: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true },
      data: { type: 'string', short: 'd' },
      include: { type: 'boolean', short: 'i' },
      'script-filename': { type: 'string' },
      'document-root': { type: 'string' },
      param: { type: 'string', multiple: true },
      timeout: { type: 'string' },
    },
  });
  const [target, path, ...extra] = positionals;
  if (target === undefined || path === undefined) {
    throw new UsageError('fcgi request needs a TARGET and a PATH, e.g. fcgi request ./app.sock /');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return runRequest(
    {
      target: normalizeTarget(target, io.cwd),
      path,
      ...(values.method !== undefined ? { method: values.method } : {}),
      headers: (values.header ?? []).map(parseHeader),
      ...(values.data !== undefined ? { body: await readData(values.data, io) } : {}),
      include: values.include ?? false,
      ...(values['script-filename'] !== undefined ? { scriptFilename: values['script-filename'] } : {}),
      ...(values['document-root'] !== undefined ? { documentRoot: values['document-root'] } : {}),
      params: Object.fromEntries((values.param ?? []).map(parseParam)),
      timeout: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout),
    },
    io,
  );
}

/**
 * Sends one request and writes the response to io.stdout. Resolves with the exit code: Ok for 2xx/3xx,
 * Failure for any other status; throws a CliError (Unreachable) when the backend cannot be reached.
 */
export async function runRequest(options: RequestCommandOptions, io: CliIO): Promise<number> {
  const url = requestUrl(options.path);
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const headers = new Headers(options.headers ?? []);
  const method = (options.method ?? (options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (options.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new UsageError(`a ${method} request cannot have a body; drop -d or use -X POST`);
  }
  if (options.body !== undefined && !headers.has('content-type')) {
    // What curl -d sends, so PHP fills $_POST as users expect.
    headers.set('content-type', 'application/x-www-form-urlencoded');
  }
  // Backend STDERR (PHP's "Primary script unknown") often lacks a final newline; ours must not join it.
  let stderrLineOpen = false;
  const endStderrLine = () => {
    if (stderrLineOpen) io.stderr.write('\n');
    stderrLineOpen = false;
  };
  const client = createClient(options.target, {
    poolSize: 1,
    connectTimeout: timeout,
    timeout,
    keepConn: false,
    ...(options.scriptFilename !== undefined ? { scriptFilename: options.scriptFilename } : {}),
    ...(options.documentRoot !== undefined ? { documentRoot: options.documentRoot } : {}),
    onStderr: (text) => {
      io.stderr.write(text);
      stderrLineOpen = !text.endsWith('\n');
    },
  });
  const signals = [AbortSignal.timeout(timeout), ...(io.signal ? [io.signal] : [])];
  const signal = AbortSignal.any(signals);
  try {
    let response: Response;
    try {
      response = await client.fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: options.body } : {}),
        params: options.params ?? {},
        signal,
      });
    } catch (error) {
      throw requestFailure(options.target, error, signal, timeout);
    }
    if (options.include) io.stdout.write(formatHead(response));
    try {
      await writeBody(response.body, io.stdout);
    } catch (error) {
      throw requestFailure(options.target, error, signal, timeout);
    }
    const ok = response.status >= 200 && response.status < 400;
    endStderrLine();
    if (!ok)
      io.stderr.write(`fcgi request: ${response.status} ${response.statusText} from ${options.target}\n`);
    return ok ? ExitCode.Ok : ExitCode.Failure;
  } finally {
    endStderrLine();
    await client.close().catch(() => {});
  }
}

function requestFailure(target: string, error: unknown, signal: AbortSignal, timeout: number): CliError {
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') {
    return new CliError(`no answer from ${target} within ${timeout} ms`, ExitCode.Unreachable, {
      cause: error,
    });
  }
  return backendError(target, error);
}

function requestUrl(path: string): string {
  if (/^https?:\/\//i.test(path)) {
    try {
      return new URL(path).href;
    } catch {
      throw new UsageError(`invalid URL "${path}"`);
    }
  }
  if (!path.startsWith('/'))
    throw new UsageError(`PATH must start with "/" (or be an http URL), got "${path}"`);
  return new URL(path, 'http://localhost').href;
}

/** "HTTP/1.1 200 OK" and the headers, each Set-Cookie on its own line, as curl -i shows them. */
export function formatHead(response: Response): string {
  let head = `HTTP/1.1 ${response.status}${response.statusText ? ` ${response.statusText}` : ''}\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') head += `${name}: ${value}\r\n`;
  });
  for (const cookie of response.headers.getSetCookie()) head += `set-cookie: ${cookie}\r\n`;
  return `${head}\r\n`;
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`invalid header "${text}"; use -H 'Name: value'`);
  }
  return [name, text.slice(colon + 1).trim()];
}

function parseParam(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`invalid --param "${text}"; use --param NAME=VALUE`);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

/** -d DATA as curl reads it: @file is the file's bytes, @- is stdin, anything else the text itself. */
async function readData(data: string, io: CliIO): Promise<Uint8Array<ArrayBuffer> | string> {
  if (!data.startsWith('@')) return data;
  const file = data.slice(1);
  if (file === '-') return readAll(io.stdin);
  try {
    return new Uint8Array(await readFile(resolve(io.cwd, file)));
  } catch (error) {
    throw new UsageError(`cannot read -d @${file}: ${messageOf(error)}`);
  }
}

async function readAll(stream: Readable): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return new Uint8Array(Buffer.concat(chunks)) as Uint8Array<ArrayBuffer>;
}
