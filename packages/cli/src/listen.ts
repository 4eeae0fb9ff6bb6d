import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Handler, ServeOptions, ServeResult } from '@fcgi/responder';
import { serve } from '@fcgi/responder';
import { describeServeError } from './describe-error';
import { CliError, errorCodes, messageOf } from './errors';
import { ExitCode } from './exit-codes';
import type { CliIO } from './io';

/** Where `fcgi serve` listens; none of them set means "what the parent process handed over". */
export interface ServeTransport {
  socketPath?: string;
  /** Permissions of the socket file, e.g. 0o660 so that the web server's group can connect. */
  socketMode?: number;
  port?: number;
  host?: string;
}

/** The unix socket's mode without --socket-mode: owner and group may connect (php-fpm's default). */
export const DEFAULT_SOCKET_MODE = 0o660;

/** serve(), with a failure to bind (EADDRINUSE, EACCES, a live socket file) as a one-line CliError. */
export async function listen(handler: Handler, options: ServeOptions): Promise<ServeResult> {
  try {
    return await serve(handler, options);
  } catch (error) {
    if (options.socketPath !== undefined) {
      const problem = socketDirectoryError(options.socketPath, error);
      if (problem) throw problem;
    }
    const where =
      options.socketPath !== undefined
        ? `unix:${options.socketPath}`
        : options.port !== undefined
          ? `${options.host ?? '127.0.0.1'}:${options.port}`
          : options.inheritedFd !== undefined
            ? `fd ${options.inheritedFd}`
            : 'the inherited socket';
    throw new CliError(`cannot listen on ${where}: ${messageOf(error)}`, ExitCode.Failure, { cause: error });
  }
}

/** The responder options for a transport; handler errors go to stderr, where web servers expect logs. */
export function serveOptions(transport: ServeTransport, io: CliIO): ServeOptions {
  const options: ServeOptions = {
    onError: (error) => {
      io.stderr.write(`fcgi serve: ${describeServeError(error)}\n`);
    },
  };
  if (transport.socketPath !== undefined) {
    options.socketPath = transport.socketPath;
    options.socketMode = transport.socketMode ?? DEFAULT_SOCKET_MODE;
  } else if (transport.port !== undefined) {
    options.port = transport.port;
    options.host = transport.host ?? '127.0.0.1';
  }
  return options;
}

/**
 * A unix socket that cannot be created because of its directory (missing, or not writable by this
 * user: by far the most common cause, as /run/app does not exist until something creates it), as a
 * CliError that names the directory and says what to do; the system error stays its cause. Undefined
 * for any other error.
 */
export function socketDirectoryError(socketPath: string, error: unknown): CliError | undefined {
  const code = errorCodes(error).find((candidate) => DIRECTORY_ERRORS.has(candidate));
  if (code === undefined) return undefined;
  const dir = dirname(resolve(socketPath));
  // A missing directory can be reported as EACCES too (and EACCES on a parent hides what is below),
  // so say what is actually there.
  const advice = existsSync(dir)
    ? `the directory ${dir} is not writable by this user: make it writable for the user the app runs as (e.g. chown it to that user) or choose another --socket`
    : `the directory ${dir} does not exist: create it (e.g. mkdir -p ${dir}, then chown it to the user the app runs as) or choose another --socket`;
  return new CliError(`cannot listen on unix:${socketPath}: ${advice} (${code})`, ExitCode.Failure, {
    cause: error,
  });
}

const DIRECTORY_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM']);
