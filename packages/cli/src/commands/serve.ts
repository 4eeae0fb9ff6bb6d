import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { formatAddress } from '../format-address';
import { type CliIO, whenAborted } from '../io';
import { listen, type ServeTransport, serveOptions } from '../listen';
import { loadHandler } from '../load-handler';
import { parsePort } from '../target';
import { runWorkerPool } from '../workers/primary';
import { isPoolWorker, runPoolWorker } from '../workers/worker';

export type { ServeTransport };

export interface ServeCommandOptions extends ServeTransport {
  /** The module to serve, relative to io.cwd. */
  module: string;
  /** Run this many worker processes on one shared listener. */
  workers?: number;
  /** The FastCGI roles served (serve()'s `roles`); default: Responder only. */
  roles?: ServedRoleName[];
}

type ServedRoleName = 'responder' | 'authorizer';
const ROLE_NAMES: readonly ServedRoleName[] = ['responder', 'authorizer'];

/** `fcgi serve ./app.js [--socket PATH | --port N [--host H]] [--workers N]`. */
export async function serveCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      socket: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'socket-mode': { type: 'string' },
      workers: { type: 'string' },
      roles: { type: 'string' },
    },
  });
  const [module, ...extra] = positionals;
  if (module === undefined) throw new UsageError('fcgi serve needs a module, e.g. fcgi serve ./app.js');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.socket !== undefined && values.port !== undefined) {
    throw new UsageError('use either --socket or --port, not both');
  }
  // Explicit options win over the environment, and FCGI_SOCKET/FCGI_PORT only apply when neither is given.
  const socketPath = values.socket ?? (values.port === undefined ? nonEmpty(io.env.FCGI_SOCKET) : undefined);
  const portText = values.port ?? (socketPath === undefined ? nonEmpty(io.env.FCGI_PORT) : undefined);
  const port = portText === undefined ? undefined : parsePort(portText, values.port ? '--port' : 'FCGI_PORT');
  if (values.host !== undefined && port === undefined) throw new UsageError('--host needs --port');
  const socketMode = values['socket-mode'] === undefined ? undefined : parseMode(values['socket-mode']);
  if (socketMode !== undefined && socketPath === undefined)
    throw new UsageError('--socket-mode needs --socket');
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError('--workers must be a whole number >= 1');
  }
  const roles = values.roles === undefined ? undefined : parseRoles(values.roles);
  return runServe(
    {
      module,
      ...(roles !== undefined ? { roles } : {}),
      ...(socketPath !== undefined ? { socketPath: resolve(io.cwd, socketPath) } : {}),
      ...(socketMode !== undefined ? { socketMode } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(workers !== undefined ? { workers } : {}),
    },
    io,
  );
}

/** Serves the module until io.signal aborts, then closes gracefully. Resolves with the exit code. */
export async function runServe(options: ServeCommandOptions, io: CliIO): Promise<number> {
  if (isPoolWorker()) return runPoolWorker(options, io);
  if (options.workers !== undefined) return runWorkerPool(options, io);
  const handler = await loadHandler(options.module, io.cwd);
  const server = await listen(handler, { ...serveOptions(options, io), ...rolesOption(options) });
  io.stdout.write(`fcgi serve: ${options.module} listening on ${formatAddress(server.address)}\n`);
  await whenAborted(io.signal);
  await server.close();
  return ExitCode.Ok;
}

/** `--roles responder,authorizer`: roles other than Responder are served only when named. */
function parseRoles(text: string): ServedRoleName[] {
  const roles = text.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!ROLE_NAMES.includes(role as ServedRoleName))
      throw new UsageError(`--roles takes ${ROLE_NAMES.join(' and/or ')}, comma-separated; got "${role}"`);
  }
  return roles as ServedRoleName[];
}

/** serve()'s `roles` when --roles was given. */
export function rolesOption(options: ServeCommandOptions): { roles?: ServedRoleName[] } {
  return options.roles !== undefined ? { roles: options.roles } : {};
}

/** An octal file mode as chmod takes it: "660" or "0660". */
function parseMode(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text))
    throw new UsageError(`--socket-mode must be an octal mode such as 660, got "${text}"`);
  return Number.parseInt(text, 8);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
