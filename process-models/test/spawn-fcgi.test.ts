import { readFileSync } from 'node:fs';
import { freePort, spawnGroup, stopAll, waitFor, waitForListening } from '@fcgi/test-utils/processes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fcgiGet, serveCommand } from './helpers/fcgi';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// spawn-fcgi (Debian's spawn-fcgi 1.6) creates the listening socket itself and starts the app with
// that socket as fd 0, the FastCGI way (FCGI_LISTENSOCK_FILENO): `fcgi serve` is given no --socket or
// --port and must find it there.
describe('spawn-fcgi starts `fcgi serve` with the socket on fd 0', () => {
  let dir: RunDir;
  const forkedPids: number[] = [];

  beforeEach(() => {
    dir = makeRunDir('spawn-fcgi');
  });
  afterEach(async () => {
    await stopAll();
    // Forked children (-F without -n) leave spawn-fcgi's process group: stop them by pid.
    for (const pid of forkedPids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    dir.remove();
  });

  it('serves requests on the unix socket spawn-fcgi created, in the process spawn-fcgi became (-n)', async () => {
    const socket = dir.file('app.sock');
    const spawner = spawnGroup({
      name: 'spawn-fcgi',
      command: 'spawn-fcgi',
      args: ['-s', socket, '-n', '--', ...serveCommand()],
      logFile: dir.file('spawn-fcgi.log'),
    });
    await waitForListening({ socketPath: socket });

    const response = await fcgiGet(socket, '/launch');
    expect(response.status).toBe(200);
    const started = JSON.parse(response.body);
    // -n execs the app in place: the responder is spawn-fcgi's own pid, with the socket on fd 0.
    expect(started).toMatchObject({ pid: spawner.pid, stdinIsSocket: true, listenFds: null });
    expect((await fcgiGet(socket, '/id?id=a')).body).toBe(JSON.stringify({ id: 'a', pid: spawner.pid }));
  });

  it('serves requests on a TCP port spawn-fcgi bound (-a 127.0.0.1 -p PORT)', async () => {
    const port = await freePort();
    spawnGroup({
      name: 'spawn-fcgi',
      command: 'spawn-fcgi',
      args: ['-a', '127.0.0.1', '-p', String(port), '-n', '--', ...serveCommand()],
      logFile: dir.file('spawn-fcgi.log'),
    });
    await waitForListening({ port });

    const response = await fcgiGet(`127.0.0.1:${port}`, '/launch');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ stdinIsSocket: true });
  });

  it('pre-forks several processes that all accept on the one socket (-F 2)', async () => {
    const socket = dir.file('app.sock');
    const pidFile = dir.file('spawn-fcgi.pid');
    const spawner = spawnGroup({
      name: 'spawn-fcgi',
      command: 'spawn-fcgi',
      args: ['-s', socket, '-F', '2', '-P', pidFile, '--', ...serveCommand()],
      logFile: dir.file('spawn-fcgi.log'),
    });
    // Without -n spawn-fcgi forks the children, writes their pids and exits.
    const exit = await spawner.exited;
    forkedPids.push(...readFileSync(pidFile, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    expect(exit.code).toBe(0);
    expect(forkedPids).toHaveLength(2);
    await waitForListening({ socketPath: socket });

    // Both children serve: keep asking until each pid has answered (the kernel picks the acceptor).
    const seen = new Set<number>();
    await waitFor(
      'both forked processes to answer',
      async () => {
        const response = await fcgiGet(socket, '/launch');
        seen.add(JSON.parse(response.body).pid);
        return seen.size === 2;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
    expect([...seen].sort()).toEqual([...forkedPids].sort());
  });
});
