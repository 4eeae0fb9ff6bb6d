import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createClient } from '@fcgi/client';
import {
  encodeBeginRequest,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import { type CliProcess, cli, fixture, PROCESS_TEST_TIMEOUT_MS, spawnCli, tempDir } from './helpers';

/** A worker answers /pid at once; a request stuck in a frozen primary's accept queue never is. */
const FROZEN_PRIMARY_TIMEOUT_MS = 10_000;

let dir: Awaited<ReturnType<typeof tempDir>>;
const processes: CliProcess[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((proc) => proc.kill()));
  for (const server of servers.splice(0)) server.close();
  await dir.remove();
});

/** Starts the CLI through a shell that first sets a umask that would make the socket world-writable. */
const UMASK_000 = ['sh', '-c', 'umask 000 && exec "$0" "$@"'];

function start(args: string[], options: Parameters<typeof spawnCli>[1] = {}): CliProcess {
  const proc = spawnCli(args, options);
  processes.push(proc);
  return proc;
}

/** One request on a fresh connection (no pooling), so that each one may reach a different worker. */
async function get(target: string, path: string, options: { timeout?: number } = {}): Promise<string> {
  const client = createClient(target, { keepConn: false, ...options });
  try {
    const response = await client.fetch(path);
    return await response.text();
  } finally {
    await client.close();
  }
}

/** One Authorizer request (which @fcgi/client does not speak); resolves with its END_REQUEST status. */
async function askAsAuthorizer(target: string): Promise<number> {
  const [host, port] = target.split(':');
  const socket = connect(Number(port), host);
  socket.end(
    Buffer.concat([
      encodeBeginRequest(1, Role.Authorizer, 0),
      encodeRecord(RecordType.Params, 1, encodeParams({ REQUEST_METHOD: 'GET', REQUEST_URI: '/' })),
      encodeStreamEnd(RecordType.Params, 1),
    ]),
  );
  const decoder = new RecordDecoder();
  for await (const chunk of socket) {
    for (const record of decoder.push(chunk)) {
      if (record.type === RecordType.EndRequest) {
        socket.destroy();
        return record.content[4] as number;
      }
    }
  }
  throw new Error('the connection closed without an END_REQUEST');
}

describe('fcgi serve', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('refuses the Authorizer role with FCGI_UNKNOWN_ROLE unless --roles names it', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await askAsAuthorizer(target!)).toBe(ProtocolStatus.UnknownRole);
  });

  it('serves the Authorizer role with --roles responder,authorizer', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0', '--roles', 'responder,authorizer']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await askAsAuthorizer(target!)).toBe(ProtocolStatus.RequestComplete);
    expect(await get(target!, '/')).toBe('Hello from the fixture\n');
  });

  it('rejects a --roles value that names no servable role with exit 2', async () => {
    const result = await cli(['serve', fixture('app.mjs'), '--roles', 'responder,filter']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('--roles takes responder and/or authorizer');
  });

  it('serves a default-exported handler on a unix socket and prints where', async () => {
    const socket = join(dir.path, 'app.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket]);
    await proc.waitForOutput(new RegExp(`listening on unix:${socket}`));
    expect(await get(`unix:${socket}`, '/')).toBe('Hello from the fixture\n');
  });

  it('serves an app object with a fetch method on a TCP port', async () => {
    const proc = start(['serve', fixture('app-object.mjs'), '--port', '0']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await get(target!, '/hi')).toBe('Hello from an app object (/hi, request 1)\n');
  });

  it('sets the socket file permissions from --socket-mode', async () => {
    const socket = join(dir.path, 'mode.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--socket-mode', '600']);
    await proc.waitForOutput(/listening on/);
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
  });

  it('without --socket-mode the socket is 0660 even under umask 000', async () => {
    const socket = join(dir.path, 'default-mode.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket], { via: UMASK_000 });
    await proc.waitForOutput(/listening on/);
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
  });

  it('takes the socket path from FCGI_SOCKET', async () => {
    const socket = join(dir.path, 'env.sock');
    const proc = start(['serve', fixture('app.mjs')], { env: { FCGI_SOCKET: socket } });
    await proc.waitForOutput(/listening on unix:/);
    expect(await get(`unix:${socket}`, '/')).toBe('Hello from the fixture\n');
  });

  it('listens on a free loopback port when given no transport and no inherited socket', async () => {
    const proc = start(['serve', fixture('app.mjs')]);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await get(target!, '/')).toBe('Hello from the fixture\n');
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const socket = join(dir.path, 'app.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket]);
    await proc.waitForOutput(/listening on/);
    const answer = get(`unix:${socket}`, '/slow?ms=500');
    await proc.waitForOutput(/slow request started/);
    proc.child.kill('SIGTERM');
    expect(await answer).toBe('slept 500\n');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it("finishes a request in flight on SIGUSR1 (Apache's graceful stop) and exits 0 without opening the inspector", async () => {
    const socket = join(dir.path, 'app.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket]);
    await proc.waitForOutput(/listening on/);
    const answer = get(`unix:${socket}`, '/slow?ms=500');
    await proc.waitForOutput(/slow request started/);
    proc.child.kill('SIGUSR1');
    expect(await answer).toBe('slept 500\n');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    // Node's default SIGUSR1 action announces "Debugger listening on ws://127.0.0.1:9229/...".
    expect(proc.stderr()).not.toContain('Debugger listening');
  });

  it('serves on a listening socket inherited as fd 0, as spawn-fcgi and lighttpd pass it', async () => {
    const listener = createServer();
    servers.push(listener);
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    // The parent's listening fd becomes the child's stdin; the parent stops listening once the child has it.
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const proc = start(['serve', fixture('app.mjs')], { stdio: [fd, 'pipe', 'pipe'] });
    await proc.waitForOutput(/listening on/);
    listener.close();
    expect(await get(`127.0.0.1:${port}`, '/pid')).toBe(String(proc.child.pid));
  });

  it.skipIf(!hasCommand('systemd-socket-activate'))(
    "serves on systemd's LISTEN_FDS socket (systemd-socket-activate)",
    async () => {
      const socket = join(dir.path, 'systemd.sock');
      const proc = start(['serve', fixture('app.mjs')], { via: ['systemd-socket-activate', '-l', socket] });
      // It binds the socket itself and starts fcgi on the first connection.
      await proc.waitForOutput(/Listening on/);
      expect(await get(`unix:${socket}`, '/pid')).toBe(String(proc.child.pid));
    },
  );

  it("logs a failing handler's stack trace on stderr and answers 500", async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    const client = createClient(target!, { keepConn: false });
    try {
      expect((await client.fetch('/throw')).status).toBe(500);
    } finally {
      await client.close();
    }
    await proc.waitForOutput(/^fcgi serve: .*\nError: boom from the app\n\s+at .*app\.mjs/m);
  });

  it('logs a peer refused by FCGI_WEB_SERVER_ADDRS in one line', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0'], {
      env: { FCGI_WEB_SERVER_ADDRS: '192.0.2.1' },
    });
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    await expect(get(target!, '/')).rejects.toThrow();
    await proc.waitForOutput(/^fcgi serve: ConnectionDeniedError: .*127\.0\.0\.1.*\n/m);
    expect(proc.stderr()).not.toMatch(/^\s+at /m);
  });

  it('exits 1 with a one-line error when the port is taken', async () => {
    const squatter = createServer();
    servers.push(squatter);
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as AddressInfo;
    const result = await cli(['serve', fixture('app.mjs'), '--port', String(port)]);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toMatch(
      new RegExp(`^fcgi serve: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`),
    );
  });

  it('exits 1 with a clear message for a missing module', async () => {
    const result = await cli(['serve', './nope.mjs', '--port', '0'], { cwd: dir.path });
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toBe(
      `fcgi serve: cannot find module ./nope.mjs (looked for ${join(dir.path, 'nope.mjs')})\n`,
    );
  });

  it('exits 1 with a clear message for a module without a handler', async () => {
    const proc = start(['serve', fixture('no-handler.mjs'), '--port', '0']);
    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toMatch(
      /^fcgi serve: .*no-handler\.mjs has no handler: its default export must be/,
    );
  });

  it('serves a CommonJS module (module.exports = handler), as npm init -y projects write', async () => {
    const proc = start(['serve', fixture('commonjs/module-exports.js'), '--port', '0']);
    const [, address] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await get(address!, '/cjs')).toBe('Hello from CommonJS (/cjs)\n');
  });

  it('says how to fix ES module syntax in a "type": "commonjs" package', async () => {
    const proc = start(['serve', fixture('commonjs/esm-syntax.js'), '--port', '0']);
    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toContain('the nearest package.json says "type": "commonjs"');
    expect(proc.stderr()).toContain('set "type": "module" there, rename the file to .mjs');
  });

  // Node 22.18 and later strip TypeScript types themselves (process.features.typescript); Node 20 cannot.
  const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

  it.runIf(stripsTypes)('serves a TypeScript module where Node strips types itself', async () => {
    const proc = start(['serve', fixture('app.ts'), '--port', '0']);
    const [, address] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+)/);
    expect(await get(address!, '/typed')).toBe('Hello from /typed');
  });

  it.skipIf(stripsTypes)(
    'suggests a way out for a TypeScript module where Node cannot import it',
    async () => {
      const proc = start(['serve', fixture('app.ts'), '--port', '0']);
      expect((await proc.exited).code).toBe(ExitCode.Failure);
      expect(proc.stderr()).toContain(
        'build it to .js first, run fcgi with node --import tsx, or use Node 22.18',
      );
    },
  );

  it('refuses a socket path another server is listening on', async () => {
    const socket = join(dir.path, 'busy.sock');
    const first = start(['serve', fixture('app.mjs'), '--socket', socket]);
    await first.waitForOutput(/listening on/);
    const second = start(['serve', fixture('app.mjs'), '--socket', socket]);
    expect((await second.exited).code).toBe(ExitCode.Failure);
    expect(second.stderr()).toContain('in use');
    expect(await get(`unix:${socket}`, '/')).toBe('Hello from the fixture\n');
  });

  it('replaces a stale socket file left by a crashed server', async () => {
    const socket = join(dir.path, 'stale.sock');
    const crashed = createServer().listen(socket);
    await once(crashed, 'listening');
    // Simulate a crash: the file stays but nobody accepts on it.
    (crashed as unknown as { _handle: { close(): void } })._handle.close();
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket]);
    await proc.waitForOutput(/listening on/);
    expect(await get(`unix:${socket}`, '/')).toBe('Hello from the fixture\n');
  });
});

describe('fcgi serve --workers', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('creates the shared socket 0660 even under umask 000', async () => {
    const socket = join(dir.path, 'workers-mode.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2'], {
      via: UMASK_000,
    });
    await proc.waitForOutput(/listening on unix:.* with 2 workers/);
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
  });

  it('spreads connections over the workers on one shared socket', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/listening on unix:.* with 2 workers/);
    const pids = await collectPids(`unix:${socket}`, 2);
    expect(pids.size).toBe(2);
    expect(pids.has(String(proc.child.pid))).toBe(false);
  });

  it('replaces a worker that was killed and keeps serving', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0', '--workers', '2']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+) with 2 workers/);
    const before = await collectPids(target!, 2);
    const victim = [...before][0]!;
    process.kill(Number(victim), 'SIGKILL');
    await proc.waitForOutput(new RegExp(`replaced worker ${victim}`));
    expect(proc.stderr()).toContain(`worker ${victim} exited (SIGKILL); starting another`);
    const after = await collectPids(target!, 2);
    expect(after.size).toBe(2);
    expect(after.has(victim)).toBe(false);
  });

  it('stops every worker gracefully on SIGTERM and exits 0', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);
    const answer = get(`unix:${socket}`, '/slow?ms=500');
    await proc.waitForOutput(/slow request started/);
    proc.child.kill('SIGTERM');
    expect(await answer).toBe('slept 500\n');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('stops every worker gracefully on SIGUSR1 to the primary and exits 0', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);
    const answer = get(`unix:${socket}`, '/slow?ms=500');
    await proc.waitForOutput(/slow request started/);
    proc.child.kill('SIGUSR1');
    expect(await answer).toBe('slept 500\n');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stderr()).not.toContain('Debugger listening');
  });

  it('shares a listening socket inherited as fd 0 between the workers', async () => {
    const listener = createServer();
    servers.push(listener);
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const proc = start(['serve', fixture('app.mjs'), '--workers', '2'], { stdio: [fd, 'pipe', 'pipe'] });
    await proc.waitForOutput(/with 2 workers/);
    listener.close();
    expect((await collectPids(`127.0.0.1:${port}`, 2)).size).toBe(2);
  });

  it('falls back to one free loopback port for all workers when stdin is a pipe, not a listener', async () => {
    // A parent's stdio pipe is a connected socket on Linux: it must not be mistaken for fd 0 to listen on.
    const proc = start(['serve', fixture('app.mjs'), '--workers', '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+) with 2 workers/);
    expect((await collectPids(target!, 2)).size).toBe(2);
  });

  it('exits 0 without replacing anyone when Ctrl-C reaches the whole process group', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0', '--workers', '2'], { detached: true });
    await proc.waitForOutput(/with 2 workers/);
    process.kill(-proc.child.pid!, 'SIGINT');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stderr()).not.toContain('starting another');
  });

  it('stops with exit 1 when the first worker cannot load the module', async () => {
    const bad = join(dir.path, 'bad.mjs');
    await writeFile(bad, 'export default 42;\n');
    const proc = start(['serve', bad, '--port', '0', '--workers', '3']);
    expect((await proc.exited).code).toBe(ExitCode.Failure);
    expect(proc.stderr().match(/has no handler/g)).toHaveLength(1);
  });
});

// With SCHED_NONE every worker accepts on the shared listener itself; with node:cluster's default
// round-robin the primary accepts and hands connections over. A stopped (SIGSTOP) primary tells them
// apart: the workers must keep answering on every kind of listener the pool can share.
describe('fcgi serve --workers: the workers accept connections themselves', {
  timeout: PROCESS_TEST_TIMEOUT_MS,
}, () => {
  /** Freezes the primary, asks the pool a few times (each request must be answered promptly), thaws it. */
  async function answersWhilePrimaryIsStopped(proc: CliProcess, target: string): Promise<Set<string>> {
    const pid = proc.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const pids = new Set<string>();
      for (let i = 0; i < 4; i++) pids.add(await get(target, '/pid', { timeout: FROZEN_PRIMARY_TIMEOUT_MS }));
      return pids;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  it('on a unix socket', async () => {
    const socket = join(dir.path, 'pool.sock');
    const proc = start(['serve', fixture('app.mjs'), '--socket', socket, '--workers', '2']);
    await proc.waitForOutput(/with 2 workers/);
    const pids = await answersWhilePrimaryIsStopped(proc, `unix:${socket}`);
    expect(pids.has(String(proc.child.pid))).toBe(false);
  });

  it('on a TCP port', async () => {
    const proc = start(['serve', fixture('app.mjs'), '--port', '0', '--workers', '2']);
    const [, target] = await proc.waitForOutput(/listening on (127\.0\.0\.1:\d+) with 2 workers/);
    const pids = await answersWhilePrimaryIsStopped(proc, target!);
    expect(pids.has(String(proc.child.pid))).toBe(false);
  });

  it('on a listening socket inherited as fd 0', async () => {
    const listener = createServer();
    servers.push(listener);
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const proc = start(['serve', fixture('app.mjs'), '--workers', '2'], { stdio: [fd, 'pipe', 'pipe'] });
    await proc.waitForOutput(/with 2 workers/);
    listener.close();
    const pids = await answersWhilePrimaryIsStopped(proc, `127.0.0.1:${port}`);
    expect(pids.has(String(proc.child.pid))).toBe(false);
  });

  it.skipIf(!hasCommand('systemd-socket-activate'))("on systemd's LISTEN_FDS socket", async () => {
    const socket = join(dir.path, 'systemd.sock');
    const proc = start(['serve', fixture('app.mjs'), '--workers', '2'], {
      via: ['systemd-socket-activate', '-l', socket],
    });
    await proc.waitForOutput(/Listening on/);
    // The first connection starts the pool.
    const first = await get(`unix:${socket}`, '/pid');
    await proc.waitForOutput(/with 2 workers/);
    const pids = await answersWhilePrimaryIsStopped(proc, `unix:${socket}`);
    expect([first, ...pids]).not.toContain(String(proc.child.pid));
  });
});

/** Asks /pid on fresh connections until `count` different workers answered (at most 50 tries). */
async function collectPids(target: string, count: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < 50 && pids.size < count; i++) pids.add(await get(target, '/pid'));
  return pids;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
