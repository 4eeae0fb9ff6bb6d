import { readFileSync } from 'node:fs';
import { freePort, spawnGroup, stopAll, waitFor, waitForFile } from '@fcgi/test-utils/processes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fcgiGet, serveCommand } from './helpers/fcgi';
import { appPath, cliPath, nodePath, repoRoot } from './helpers/paths';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// systemd-socket-activate (from the systemd package) does what systemd does for a .socket unit: it
// binds the socket, waits for the first connection, then execs the command with the socket as fd 3
// and LISTEN_FDS=1, LISTEN_PID=<its own pid> (and LISTEN_FDNAMES with --fdname). That first
// connection waits in the backlog while node starts, so no request is lost to a cold start.
describe('systemd socket activation (LISTEN_FDS / LISTEN_PID / LISTEN_FDNAMES)', () => {
  let dir: RunDir;

  beforeEach(() => {
    dir = makeRunDir('systemd');
  });
  afterEach(async () => {
    await stopAll();
    dir.remove();
  });

  it('serves the unix socket it was handed, started by the first connection', async () => {
    const socket = dir.file('app.sock');
    const activator = spawnGroup({
      name: 'systemd-socket-activate',
      command: 'systemd-socket-activate',
      args: ['-l', socket, ...serveCommand()],
      logFile: dir.file('activate.log'),
    });
    await waitForFile(socket);

    const response = await fcgiGet(socket, '/launch');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      pid: activator.pid,
      listenFds: '1',
      listenPid: String(activator.pid),
    });
    expect((await fcgiGet(socket, '/id?id=second')).status).toBe(200);
  });

  it('serves a TCP socket it was handed, with the name given by --fdname', async () => {
    const port = await freePort();
    spawnGroup({
      name: 'systemd-socket-activate',
      command: 'systemd-socket-activate',
      args: ['-l', `127.0.0.1:${port}`, '--fdname=fcgi', ...serveCommand()],
      logFile: dir.file('activate.log'),
    });
    // The port is bound by the activator before it logs that it listens.
    await waitFor('the activator to listen', () =>
      readFileSync(dir.file('activate.log'), 'utf8').includes('Listening'),
    );

    const response = await fcgiGet(`127.0.0.1:${port}`, '/launch');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ listenFds: '1', listenFdNames: 'fcgi' });
  });

  it('runs the shipped fcgi-app.socket + fcgi-app.service pair (ListenStream and ExecStart as written)', async () => {
    const socket = dir.file('fcgi-app.sock');
    const unit = (name: string) =>
      readFileSync(`${repoRoot}examples/webservers/${name}`, 'utf8')
        .replaceAll('{{socket_path}}', socket)
        .replaceAll('{{fcgi_command}}', `${nodePath} ${cliPath}`)
        .replaceAll('{{app_module}}', appPath);
    const listenStream = /^ListenStream=(.+)$/m.exec(unit('fcgi-app.socket'))?.[1];
    const execStart = /^ExecStart=(.+)$/m.exec(unit('fcgi-app.service'))?.[1];
    expect(listenStream).toBe(socket);
    expect(execStart).toBeDefined();
    spawnGroup({
      name: 'systemd-socket-activate',
      command: 'systemd-socket-activate',
      args: ['-l', listenStream!, ...execStart!.split(' ')],
      logFile: dir.file('activate.log'),
    });
    await waitForFile(socket);

    expect((await fcgiGet(socket, '/id?id=unit')).status).toBe(200);
  });
});
