import type { Handler, ServeOptions, ServeResult } from '@fcgi/responder';
import { serve } from '@fcgi/responder';
import { describeServeError } from './describe-error';
import { CliError, messageOf } from './errors';
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

/** serve(), with a failure to bind (EADDRINUSE, EACCES, a live socket file) as a one-line CliError. */
export async function listen(handler: Handler, options: ServeOptions): Promise<ServeResult> {
  try {
    return await serve(handler, options);
  } catch (error) {
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
    if (transport.socketMode !== undefined) options.socketMode = transport.socketMode;
  } else if (transport.port !== undefined) {
    options.port = transport.port;
    options.host = transport.host ?? '127.0.0.1';
  }
  return options;
}
