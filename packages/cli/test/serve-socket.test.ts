// `fcgi serve --socket`: errors that say which directory to fix, a stale-socket probe that never takes a
// live server's path, and (with --workers) a path the primary keeps for the whole run, whatever the
// workers do.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createClient } from '@fcgi/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import { type CliProcess, fixture, PROCESS_TEST_TIMEOUT_MS, spawnCli, tempDir } from './helpers';

/** nobody: an unprivileged user for the permission tests, which root would pass regardless. */
const UNPRIVILEGED_ID = '65534';
const WORLD_READABLE_DIR = 0o755;
/** The kernel queues backlog + 1 connections; a few more attempts than that must hit the limit. */
const MAX_CONNECT_ATTEMPTS = 16;

let dir: Awaited<ReturnType<typeof tempDir>>;
const processes: CliProcess[] = [];
const others: ChildProcess[] = [];
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of others.splice(0)) {
    child.kill('SIGKILL');
    child.kill('SIGCONT');
  }
  await Promise.all(processes.splice(0).map((proc) => proc.kill()));
  await dir.remove();
});

function start(args: string[], options: Parameters<typeof spawnCli>[1] = {}): CliProcess {
  const proc = spawnCli(args, options);
  processes.push(proc);
  return proc;
}

/** Runs the CLI as an unprivileged user when the tests run as root (root may write anywhere). */
function unprivileged(): string[] {
  if (process.getuid?.() !== 0) return [];
  return ['setpriv', `--reuid=${UNPRIVILEGED_ID}`, `--regid=${UNPRIVILEGED_ID}`, '--clear-groups'];
}

async function get(target: string, path: string): Promise<{ status: number; body: string }> {
  const client = createClient(target, { keepConn: false });
  try {
    const response = await client.fetch(path);
    return { status: response.status, body: await response.text() };
  } finally {
    await client.close();
  }
}

function workerPids(primary: CliProcess): number[] {
  const output = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary.child.pid)]).toString();
  return output.split(/\s+/).filter(Boolean).map(Number);
}

function identity(path: string): { dev: number; ino: number } {
  const stats = lstatSync(path);
  return { dev: stats.dev, ino: stats.ino };
}

describe.each([
  ['one process', []],
  ['--workers 2', ['--workers', '2']],
])('fcgi serve --socket (%s): errors that name the directory', (_name, extra) => {
  it('a missing directory: says to create it and exits 1', { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    const missing = join(dir.path, 'run', 'app');
    const proc = start(['serve', fixture('app.mjs'), '--socket', join(missing, 'fcgi.sock'), ...extra]);
    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toContain(
      `the directory ${missing} does not exist: create it (e.g. mkdir -p ${missing}`,
    );
    expect(proc.stderr()).toContain('or choose another --socket');
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
  });

  it('a directory this user cannot write: says so, with EACCES', {
    timeout: PROCESS_TEST_TIMEOUT_MS,
  }, async () => {
    chmodSync(dir.path, WORLD_READABLE_DIR);
    const readOnly = join(dir.path, 'readonly');
    mkdirSync(readOnly, { mode: WORLD_READABLE_DIR });
    const proc = start(['serve', fixture('app.mjs'), '--socket', join(readOnly, 'fcgi.sock'), ...extra], {
      via: unprivileged(),
    });
    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toContain(`the directory ${readOnly} is not writable by this user`);
    expect(proc.stderr()).toContain('(EACCES)');
  });

  it('never takes the path of a live server too busy to accept (full backlog: EAGAIN)', {
    timeout: PROCESS_TEST_TIMEOUT_MS,
  }, async () => {
    const socket = join(dir.path, 'busy.sock');
    const busy = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen({ path: ${JSON.stringify(socket)}, backlog: 1 }, () => console.log('up'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    others.push(busy);
    await once(busy.stdout!, 'data');
    // Stopped, it accepts nothing: connections pile up in the backlog until the kernel says EAGAIN.
    busy.kill('SIGSTOP');
    let refusal: string | undefined;
    for (let attempt = 0; attempt < MAX_CONNECT_ATTEMPTS && refusal === undefined; attempt++) {
      refusal = await new Promise<string | undefined>((resolve) => {
        const probe = connect(socket);
        probe.once('connect', () => {
          sockets.push(probe);
          resolve(undefined);
        });
        probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
      });
    }
    expect(refusal).toBe('EAGAIN');
    const before = identity(socket);

    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, ...extra]);

    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toMatch(/in use/);
    expect(identity(socket)).toEqual(before);
  });
});

describe('fcgi serve --socket --workers: the primary keeps the path', {
  timeout: PROCESS_TEST_TIMEOUT_MS,
}, () => {
  it('a worker that stops on its own (SIGTERM) leaves the path to the others', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);
    const [leaving, staying] = workerPids(proc);
    const left = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!workerPids(proc).includes(leaving!)) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });

    process.kill(leaving!, 'SIGTERM');
    await left;

    expect(lstatSync(socket).isSocket()).toBe(true);
    expect(await get(`unix:${socket}`, '/pid')).toEqual({ status: 200, body: String(staying) });
  });

  it('answers on the path again after every worker was SIGKILLed at once', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);

    for (const pid of workerPids(proc)) process.kill(pid, 'SIGKILL');
    expect(lstatSync(socket).isSocket()).toBe(true);
    await proc.waitForOutput(/replaced worker \d+[\s\S]*replaced worker \d+/);

    expect((await get(`unix:${socket}`, '/')).status).toBe(200);
  });

  it('leaves nothing in the directory after a graceful stop', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
