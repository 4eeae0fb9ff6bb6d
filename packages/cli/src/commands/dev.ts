import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Handler, serve } from '@fcgi/responder';
import { describeServeError } from '../describe-error';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { type Gateway, startGateway } from '../gateway/server';
import { type CliIO, whenAborted } from '../io';
import { loadHandler } from '../load-handler';
import { parsePort } from '../target';

export const DEFAULT_DEV_PORT = 3000;

export interface DevOptions {
  handler: Handler;
  /** HTTP port; without one, 3000 or a free port when 3000 is taken. */
  port?: number;
  host?: string;
  root?: string;
  onError?: (message: string) => void;
  /** One log line per finished request (see GatewayOptions.onRequest). */
  onRequest?: (line: string) => void;
}

export interface DevServer {
  readonly url: string;
  /** The private unix socket the app listens on, "unix:/tmp/fcgi-dev-.../app.sock". */
  readonly target: string;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

/**
 * Serves `handler` over FastCGI on a unix socket in a private temp dir and runs the HTTP gateway in front
 * of it: the whole FastCGI path a web server would take, without installing one.
 */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fcgi-dev-'));
  const socketPath = join(dir, 'app.sock');
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Gateway first, then the app, then the socket's directory: the reverse of starting.
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => {});
    })());
  try {
    const app = await serve(options.handler, {
      socketPath,
      onError: (error) => {
        options.onError?.(describeServeError(error));
      },
    });
    cleanups.push(() => app.close());
    const gateway = await startGateway({
      target: `unix:${socketPath}`,
      port: options.port ?? DEFAULT_DEV_PORT,
      fallbackToFreePort: options.port === undefined,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.root !== undefined ? { root: options.root } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    cleanups.push(() => gateway.close());
    return { url: gateway.url, target: `unix:${socketPath}`, gateway, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `fcgi dev ./app.js [--listen PORT] [--host H] [--root DIR] [--name NAME]`. */
export async function devCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      listen: { type: 'string' },
      host: { type: 'string' },
      root: { type: 'string' },
      name: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [modulePath, ...extra] = positionals;
  if (modulePath === undefined) throw new UsageError('fcgi dev needs a module, e.g. fcgi dev ./app.js');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const port = values.listen === undefined ? undefined : parsePort(values.listen, '--listen');
  const handler = await loadHandler(modulePath, io.cwd);
  const dev = await startDev({
    handler,
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.root !== undefined ? { root: resolve(io.cwd, values.root) } : {}),
    onError: (message) => io.stderr.write(`fcgi dev: ${message}\n`),
    ...(values.quiet ? {} : { onRequest: (line: string) => io.stdout.write(`${line}\n`) }),
  });
  const name = values.name ?? basename(modulePath, extname(modulePath));
  io.stdout.write(`${name}: ${dev.url}\n`);
  io.stdout.write(
    `  (fcgi dev: ${modulePath} over FastCGI on ${dev.target}; a development tool, use nginx or Caddy in production)\n`,
  );
  await whenAborted(io.signal);
  await dev.close();
  return ExitCode.Ok;
}
