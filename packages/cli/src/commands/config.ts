import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderText } from '../config/render';
import {
  type Backend,
  type ConfigSettings,
  type ServerName,
  serverConfigs,
  serverNames,
} from '../config/servers';
import { readTemplate } from '../config/templates';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { CliIO } from '../io';

const DEFAULTS = {
  socket: '/run/app/fcgi.sock',
  listenPort: 80,
  host: '127.0.0.1',
  runDir: '/var/lib/fcgi-app',
  docRoot: '/srv/app/public',
  user: 'www-data',
  appModule: 'dist/app.js',
  fcgiCommand: 'node_modules/.bin/fcgi',
} as const;

/**
 * `fcgi config SERVER [--socket PATH | --port N [--host H]] [--listen PORT] ...`: prints a ready
 * configuration for SERVER in front of this app, rendered from the templates the interop suite runs.
 */
export async function configCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      socket: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      listen: { type: 'string' },
      'run-dir': { type: 'string' },
      root: { type: 'string' },
      user: { type: 'string' },
      app: { type: 'string' },
      fcgi: { type: 'string' },
    },
  });
  const [server, ...extra] = positionals;
  if (server === undefined || !isServer(server)) {
    const got = server === undefined ? '' : `, not "${server}"`;
    throw new UsageError(`fcgi config needs a web server: ${serverNames.join(', ')}${got}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.socket !== undefined && values.port !== undefined) {
    throw new UsageError('give --socket or --port, not both');
  }
  const settings: ConfigSettings = {
    backend: backendOf(values, io),
    listenPort: portOf(values.listen ?? String(DEFAULTS.listenPort), '--listen'),
    runDir: resolve(io.cwd, values['run-dir'] ?? DEFAULTS.runDir),
    docRoot: resolve(io.cwd, values.root ?? DEFAULTS.docRoot),
    user: values.user ?? DEFAULTS.user,
    fcgiCommand: resolve(io.cwd, values.fcgi ?? DEFAULTS.fcgiCommand),
    appModule: resolve(io.cwd, values.app ?? DEFAULTS.appModule),
  };
  const config = serverConfigs[server];
  for (const [index, template] of config.templates.entries()) {
    if (config.templates.length > 1) io.stdout.write(`${index > 0 ? '\n' : ''}# ---- ${template} ----\n`);
    let values: ReturnType<typeof config.values>;
    try {
      values = config.values(settings, template);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    io.stdout.write(renderText(readTemplate(template), values));
  }
  return ExitCode.Ok;
}

function isServer(name: string): name is ServerName {
  return Object.hasOwn(serverConfigs, name);
}

function backendOf(values: { socket?: string; port?: string; host?: string }, io: CliIO): Backend {
  if (values.port !== undefined)
    return { host: values.host ?? DEFAULTS.host, port: portOf(values.port, '--port') };
  if (values.host !== undefined) throw new UsageError('--host goes with --port');
  return { socketPath: resolve(io.cwd, values.socket ?? io.env.FCGI_SOCKET ?? DEFAULTS.socket) };
}

const MAX_PORT = 65_535;

function portOf(text: string, option: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > MAX_PORT) {
    throw new UsageError(`${option} must be a port number from 1 to ${MAX_PORT}, got "${text}"`);
  }
  return port;
}
