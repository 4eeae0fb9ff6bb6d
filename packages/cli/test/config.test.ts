import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderText } from '../src/config/render';
import { serverConfigs, serverNames } from '../src/config/servers';
import { ExitCode } from '../src/exit-codes';
import { cli } from './helpers';

const REPO_TEMPLATES = new URL('../../../examples/webservers/', import.meta.url);
const PLACEHOLDER = /\{\{[a-z_]+\}\}/;

describe('fcgi config', () => {
  it.each(serverNames)('prints a %s configuration with every placeholder filled', async (server) => {
    const result = await cli(['config', server, '--socket', '/run/app/fcgi.sock']);
    expect(result).toMatchObject({ code: ExitCode.Ok, stderr: '' });
    expect(result.stdout).not.toMatch(PLACEHOLDER);
  });

  it('prints the repository template, filled, and nothing else', async () => {
    const result = await cli(['config', 'nginx', '--socket', '/run/app/fcgi.sock', '--listen', '8080']);
    const template = readFileSync(new URL('nginx.conf', REPO_TEMPLATES), 'utf8');
    const expected = renderText(
      template,
      serverConfigs.nginx.values({
        backend: { socketPath: '/run/app/fcgi.sock' },
        listenPort: 8080,
        runDir: '/var/lib/fcgi-app',
        docRoot: '/srv/app/public',
        user: 'www-data',
        fcgiCommand: '',
        appModule: '',
      }),
    );
    expect(result.stdout).toBe(expected);
  });

  it('points nginx at the unix socket given', async () => {
    const result = await cli(['config', 'nginx', '--socket', '/run/app/fcgi.sock']);
    expect(result.stdout).toContain('server unix:/run/app/fcgi.sock;');
  });

  it('points each server at a TCP backend in its own syntax', async () => {
    const tcp = ['--port', '9000'];
    expect((await cli(['config', 'nginx', ...tcp])).stdout).toContain('server 127.0.0.1:9000;');
    expect((await cli(['config', 'apache', ...tcp])).stdout).toContain('fcgi://127.0.0.1:9000/');
    expect((await cli(['config', 'lighttpd', ...tcp])).stdout).toContain(
      '"host" => "127.0.0.1", "port" => 9000',
    );
  });

  it('takes the socket from FCGI_SOCKET when no --socket is given', async () => {
    const result = await cli(['config', 'caddy'], { env: { FCGI_SOCKET: '/run/other/app.sock' } });
    expect(result.stdout).toContain('unix//run/other/app.sock');
  });

  it('prints both systemd units with absolute paths to the app and fcgi', async () => {
    const result = await cli(
      ['config', 'systemd', '--socket', '/run/app/fcgi.sock', '--app', 'dist/app.js'],
      {
        cwd: '/srv/app',
      },
    );
    expect(result.stdout).toContain('# ---- fcgi-app.socket ----');
    expect(result.stdout).toContain('ListenStream=/run/app/fcgi.sock');
    expect(result.stdout).toContain('ExecStart=/srv/app/node_modules/.bin/fcgi serve /srv/app/dist/app.js');
  });

  it('refuses systemd over TCP, which its template does not take', async () => {
    const result = await cli(['config', 'systemd', '--port', '9000']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('needs --socket');
  });

  it('names the servers it knows when given another', async () => {
    const result = await cli(['config', 'iis']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('nginx, caddy, apache, lighttpd, haproxy, systemd, not "iis"');
  });

  it('refuses --socket and --port together', async () => {
    expect((await cli(['config', 'nginx', '--socket', '/a.sock', '--port', '9000'])).code).toBe(
      ExitCode.Usage,
    );
  });

  it('refuses a --listen that is not a port', async () => {
    const result = await cli(['config', 'nginx', '--listen', '80000']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('--listen must be a port number');
  });
});
