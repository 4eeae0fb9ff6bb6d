// The unix socket's life: created with its mode already set, never stealing a live socket (not even
// one too busy to accept), errors that say which directory to fix, and a path that is only ever
// removed by the process that still owns it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { serve } from '../src/index';
import {
  bundledFixture,
  type Child,
  childServerScript,
  removeChildScripts,
  startChild,
} from './helpers/child';
import { fcgiRequest, params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';
import { tempDir } from './helpers/temp';

const servers = useServers();
const hello = () => new Response('hello');
/** nobody: an unprivileged user for the permission tests, which root would pass regardless. */
const UNPRIVILEGED_ID = '65534';
const WORLD_READABLE_DIR = 0o755;
/** The kernel queues backlog + 1 connections; a few more attempts than that must hit the limit. */
const MAX_CONNECT_ATTEMPTS = 16;

const children: Child[] = [];
const rawServers: Server[] = [];
const processes: ChildProcess[] = [];
const clients: Socket[] = [];
const scripts = tempDir();
afterEach(async () => {
  for (const socket of clients.splice(0)) socket.destroy();
  for (const child of processes.splice(0)) {
    child.kill('SIGKILL');
    child.kill('SIGCONT');
  }
  await Promise.all(children.splice(0).map((child) => child.stop()));
  await Promise.all(rawServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});
afterAll(() => {
  removeChildScripts();
  scripts.remove();
});

function identity(path: string): { dev: number; ino: number } {
  const stats = lstatSync(path);
  return { dev: stats.dev, ino: stats.ino };
}

function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: NodeJS.ErrnoException) => error,
  );
}

/** Connects and resolves with the socket, or with the connect error's code. */
function tryConnect(path: string): Promise<Socket | string> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'unknown'));
  });
}

describe('creating the socket', () => {
  test('leaves nothing but the socket in its directory', async () => {
    const dir = servers.tempDir();
    servers.track(await serve(hello, { socketPath: dir.socket('app.sock') }));
    expect(readdirSync(dir.path)).toEqual(['app.sock']);
    expect(lstatSync(dir.socket('app.sock')).nlink).toBe(1);
  });

  test('reports the socket path as asked for as its address', async () => {
    const path = servers.tempDir().socket();
    const server = await serve(hello, { socketPath: path });
    servers.track(server);
    expect(server.address).toBe(path);
    expect((await fcgiRequest(path)).status).toBe(200);
  });

  test('a failed bind leaves nothing behind in the directory', async () => {
    const dir = servers.tempDir();
    const path = dir.socket('app.sock');
    const other = createServer();
    rawServers.push(other);
    await new Promise<void>((resolve) => other.listen(path, resolve));
    await rejection(serve(hello, { socketPath: path }));
    expect(readdirSync(dir.path)).toEqual(['app.sock']);
  });
});

describe('the stale-socket probe', () => {
  test('a live server too busy to accept (full backlog: EAGAIN) is not mistaken for a stale socket', async () => {
    const path = servers.tempDir().socket();
    const busy = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen({ path: ${JSON.stringify(path)}, backlog: 1 }, () => console.log('up'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    processes.push(busy);
    await once(busy.stdout!, 'data');
    // Stopped, it accepts nothing: connections pile up in the backlog until the kernel says EAGAIN.
    busy.kill('SIGSTOP');
    let refusal: string | undefined;
    for (let attempt = 0; attempt < MAX_CONNECT_ATTEMPTS && refusal === undefined; attempt++) {
      const result = await tryConnect(path);
      if (typeof result === 'string') refusal = result;
      else clients.push(result);
    }
    expect(refusal).toBe('EAGAIN');
    const before = identity(path);

    const error = await rejection(serve(hello, { socketPath: path }));

    expect(error.code).toBe('EADDRINUSE');
    expect(identity(path)).toEqual(before);
  });
});

describe('removing the socket on close', () => {
  test('close() leaves alone a socket that a newer process put at the path', async () => {
    const path = servers.tempDir().socket();
    const old = await serve(hello, { socketPath: path });
    // A restart: the new process found the path free (here: removed by hand) and bound its own socket.
    unlinkSync(path);
    const newer = createServer((socket) => socket.end('newer'));
    rawServers.push(newer);
    await new Promise<void>((resolve) => newer.listen(path, resolve));
    const newerSocket = identity(path);

    await old.close();

    expect(identity(path)).toEqual(newerSocket);
  });

  test('in a node:cluster worker, close() leaves the shared socket to the other workers', async () => {
    const path = servers.tempDir().socket();
    const cluster = await startChild(process.execPath, [await bundledFixture('cluster-server')], {
      env: { CHILD_SOCKET: path },
    });
    children.push(cluster);
    const { closed, serving } = cluster.address as { closed: number; serving: number };

    expect(lstatSync(path).isSocket()).toBe(true);
    const answer = await fcgiRequest(path, { params: params('GET', '/') });
    expect(JSON.parse(answer.body.toString())).toEqual({ pid: serving });
    expect(serving).not.toBe(closed);
  });
});

describe('errors that name the directory', () => {
  test('a missing directory: says to create it, keeps ENOENT and the cause', async () => {
    const dir = servers.tempDir();
    const missing = join(dir.path, 'run', 'app');
    const error = await rejection(serve(hello, { socketPath: join(missing, 'fcgi.sock') }));
    expect(error.message).toContain(`the directory ${missing} does not exist`);
    expect(error.message).toContain(`mkdir -p ${missing}`);
    expect(error.code).toBe((error.cause as NodeJS.ErrnoException).code);
    expect(['ENOENT', 'EACCES']).toContain(error.code);
  });

  test('a directory this user cannot write: says so, with EACCES', async () => {
    const dir = servers.tempDir();
    const readOnly = join(dir.path, 'readonly');
    mkdirSync(readOnly, { mode: WORLD_READABLE_DIR });
    chmodSync(dir.path, WORLD_READABLE_DIR);
    const script = await worldReadable(await childServerScript());
    const failure = await startChild(...unprivileged(process.execPath, script), {
      env: { CHILD_SOCKET: join(readOnly, 'fcgi.sock') },
    }).then(
      (child) => {
        children.push(child);
        throw new Error('serve() listened in a directory it cannot write');
      },
      (error: Error) => error.message,
    );
    expect(failure).toContain(`the directory ${readOnly} is not writable by this process`);
    expect(failure).toContain("code: 'EACCES'");
  });
});

/** Runs a command as an unprivileged user when the tests run as root (root may write anywhere). */
function unprivileged(command: string, ...args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return [
    'setpriv',
    [`--reuid=${UNPRIVILEGED_ID}`, `--regid=${UNPRIVILEGED_ID}`, '--clear-groups', command, ...args],
  ];
}

/** A copy of the script that any user can read. */
async function worldReadable(script: string): Promise<string> {
  chmodSync(scripts.path, WORLD_READABLE_DIR);
  const copy = join(scripts.path, 'child-server.mjs');
  copyFileSync(script, copy);
  chmodSync(copy, WORLD_READABLE_DIR);
  return copy;
}
