/**
 * `fcgi config SERVER` prints what users put in front of their app; here each printed configuration
 * runs the real server in front of the conformance app and must carry a request through.
 */
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runCli, type ServerName } from '@fcgi/cli';
import { freePort } from '@fcgi/test-utils/processes';
import { afterEach, describe, expect, test } from 'vitest';
import { type Backend, startBackend } from '../src/conformance-app';
import { fetchRaw } from '../src/http-client';
import { createRunDir, type RunDir } from '../src/run-dir';
import { launchWebServer } from '../src/servers/launch-server';
import type { RunningWebServer } from '../src/servers/types';

type WebServer = Exclude<ServerName, 'systemd'>;

/** How each server is started on a config file, as the interop columns start them. */
const launchers: Record<
  WebServer,
  { file: string; start(config: string, runDir: RunDir, port: number): Promise<RunningWebServer> }
> = {
  nginx: {
    file: 'nginx.conf',
    start: (config, runDir, port) =>
      launchWebServer({
        name: 'nginx',
        command: 'nginx',
        args: ['-p', runDir.path, '-e', runDir.file('nginx-error.log'), '-c', config, '-g', 'daemon off;'],
        port,
        logFile: runDir.file('nginx-stdio.log'),
      }),
  },
  caddy: {
    file: 'Caddyfile',
    start: (config, runDir, port) =>
      launchWebServer({
        name: 'caddy',
        command: 'caddy',
        args: ['run', '--config', config, '--adapter', 'caddyfile'],
        env: {
          ...process.env,
          HOME: runDir.path,
          XDG_DATA_HOME: runDir.file('xdg-data'),
          XDG_CONFIG_HOME: runDir.file('xdg-config'),
        },
        port,
        logFile: runDir.file('caddy.log'),
      }),
  },
  apache: {
    file: 'apache2.conf',
    start: (config, runDir, port) =>
      launchWebServer({
        name: 'apache2',
        command: 'apache2',
        args: ['-f', config, '-DFOREGROUND'],
        port,
        logFile: runDir.file('apache2-stdio.log'),
      }),
  },
  lighttpd: {
    file: 'lighttpd.conf',
    start: (config, runDir, port) =>
      launchWebServer({
        name: 'lighttpd',
        command: 'lighttpd',
        args: ['-D', '-f', config],
        port,
        logFile: runDir.file('lighttpd-stdio.log'),
      }),
  },
  haproxy: {
    file: 'haproxy.cfg',
    start: (config, runDir, port) =>
      launchWebServer({
        name: 'haproxy',
        command: 'haproxy',
        args: ['-db', '-f', config],
        port,
        logFile: runDir.file('haproxy.log'),
      }),
  },
};

async function printedConfig(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const errors: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const code = await runCli(['config', ...args], { stdout, stderr });
  if (code !== 0) throw new Error(`fcgi config ${args.join(' ')} exited ${code}: ${Buffer.concat(errors)}`);
  return Buffer.concat(chunks).toString('utf8');
}

describe('fcgi config, run by the real server', () => {
  let runDir: RunDir | undefined;
  let backend: Backend | undefined;
  let web: RunningWebServer | undefined;

  afterEach(async () => {
    await web?.stop();
    await backend?.stop();
    runDir?.remove();
    web = backend = runDir = undefined;
  });

  for (const [server, launcher] of Object.entries(launchers) as Array<
    [WebServer, (typeof launchers)[WebServer]]
  >) {
    for (const transport of ['unix', 'tcp'] as const) {
      test(`${server} (${transport})`, async () => {
        runDir = createRunDir(`fcgi-config-${server}-${transport}`);
        backend = await startBackend(runDir, transport);
        const endpoint = backend.endpoint;
        const port = await freePort();
        const app =
          'socketPath' in endpoint
            ? ['--socket', String(endpoint.socketPath)]
            : ['--port', String(endpoint.port), '--host', String(endpoint.host)];
        const text = await printedConfig([
          server,
          ...app,
          '--listen',
          String(port),
          '--run-dir',
          runDir.path,
          '--root',
          runDir.docRoot,
          // The socket lives in the run's temp dir, which only root may open (see the nginx columns).
          ...(server === 'nginx' ? ['--user', 'root'] : []),
        ]);
        const config = runDir.file(launcher.file);
        writeFileSync(config, text);
        web = await launcher.start(config, runDir, port);

        const response = await fetchRaw(web.baseUrl, { path: '/hello?from=fcgi-config' });
        expect(response.status).toBe(200);
      });
    }
  }
});
