import {
  type LaunchedProcess,
  readText,
  spawnGroup,
  stopAll,
  waitFor,
  waitForFile,
  waitForListening,
} from '@fcgi/test-utils/processes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fcgiGet, serveCommand } from './helpers/fcgi';
import { makeRunDir, type RunDir } from './helpers/run-dir';

// A web server or supervisor that wants its FastCGI process gone sends it a signal: SIGTERM (systemd,
// lighttpd, spawn-fcgi users, mod_fcgid) or SIGUSR1 (what Apache sends its children for a graceful
// stop). Either way a request already in the handler must be answered before the process exits.
const SLOW_MS = 2_500;

interface Started {
  app: LaunchedProcess;
  socket: string;
  log: string;
}

type Launcher = (dir: RunDir, extra?: string[]) => Promise<Started>;

const spawnFcgi: Launcher = async (dir, extra = []) => {
  const socket = dir.file('app.sock');
  const log = dir.file('requests.log');
  const app = spawnGroup({
    name: 'spawn-fcgi',
    command: 'spawn-fcgi',
    args: ['-s', socket, '-n', '--', ...serveCommand(...extra)],
    logFile: dir.file('app.log'),
    env: { ...process.env, PM_LOG: log },
  });
  await waitForListening({ socketPath: socket });
  return { app, socket, log };
};

const socketActivation: Launcher = async (dir, extra = []) => {
  const socket = dir.file('app.sock');
  const log = dir.file('requests.log');
  const app = spawnGroup({
    name: 'systemd-socket-activate',
    command: 'systemd-socket-activate',
    args: ['-l', socket, '-E', `PM_LOG=${log}`, ...serveCommand(...extra)],
    logFile: dir.file('app.log'),
  });
  await waitForFile(socket);
  return { app, socket, log };
};

/** Starts `count` slow requests and resolves once the app's handler has begun all of them. */
async function startSlowRequests(started: Started, count: number) {
  const responses = Array.from({ length: count }, (_, i) =>
    fcgiGet(started.socket, `/slow?ms=${SLOW_MS}&n=${i}`),
  );
  await waitFor(
    `${count} /slow requests to reach the handler`,
    () => readText(started.log).match(/ \/slow\?/g)?.length === count,
  );
  return responses;
}

describe('a FastCGI process told to stop finishes its in-flight request first', () => {
  let dir: RunDir;

  beforeEach(() => {
    dir = makeRunDir('graceful');
  });
  afterEach(async () => {
    await stopAll();
    dir.remove();
  });

  it.each([
    ['spawn-fcgi (socket on fd 0)', spawnFcgi],
    ['systemd-socket-activate (LISTEN_FDS)', socketActivation],
  ])('on SIGTERM, started by %s', async (_name, start) => {
    const started = await start(dir);
    const [response] = await startSlowRequests(started, 1);

    started.app.signal('SIGTERM');

    await expect(response).resolves.toEqual({
      status: 200,
      body: expect.stringMatching(`^slept ${SLOW_MS} `),
    });
    expect(await started.app.exited).toEqual({ code: 0, signal: null });
  });

  it('on SIGUSR1 (how Apache asks its children to stop gracefully), started by spawn-fcgi', async () => {
    const started = await spawnFcgi(dir);
    const [response] = await startSlowRequests(started, 1);

    started.app.signal('SIGUSR1');

    await expect(response).resolves.toEqual({
      status: 200,
      body: expect.stringMatching(`^slept ${SLOW_MS} `),
    });
    // Node's default SIGUSR1 action opens the inspector and keeps running: give it a generous while.
    const exit = await Promise.race([
      started.app.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running 10 s after SIGUSR1'), 10_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM to the primary of `fcgi serve --workers 2` on fd 0, every worker finishes its request', async () => {
    const started = await spawnFcgi(dir, ['--workers', '2']);
    const responses = await startSlowRequests(started, 2);

    started.app.signal('SIGTERM');

    for (const response of responses) {
      await expect(response).resolves.toEqual({
        status: 200,
        body: expect.stringMatching(`^slept ${SLOW_MS} `),
      });
    }
    expect(await started.app.exited).toEqual({ code: 0, signal: null });
  });
});
