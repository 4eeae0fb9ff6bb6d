// serve() options: transports and their order, unix socket hygiene, address filtering, limits, and
// graceful close. Each test fails if its option is ignored.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import {
  encodeBeginRequest,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  ProtocolError,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createAddressFilter } from '../src/address-filter';
import { ConnectionDeniedError, serve } from '../src/index';
import { type Child, childServerScript, removeChildScripts, startChild } from './helpers/child';
import { fcgiRequest, params, RawClient } from './helpers/fcgi-client';
import { deferred, nextEvent, useServers } from './helpers/server';

const servers = useServers();
const whoami = (_request: Request, info: { remoteAddress?: string }) =>
  new Response(`ok ${info.remoteAddress}`);

const children: Child[] = [];
const rawServers: Server[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()));
  for (const server of rawServers.splice(0)) server.close();
});
afterAll(() => removeChildScripts());

function listening(server: Server, options: object): Promise<Server> {
  rawServers.push(server);
  return new Promise((resolve) => server.listen(options, () => resolve(server)));
}

describe('TCP', () => {
  test('port and host listen where asked', async () => {
    const server = await serve(whoami, { port: 0, host: '127.0.0.1' });
    servers.track(server);
    const address = server.address as { address: string; port: number };
    expect(address.address).toBe('127.0.0.1');
    const result = await fcgiRequest({ port: address.port });
    expect(result.body.toString()).toMatch(/^ok/);
  });

  test('host ::1 listens on IPv6 loopback', async () => {
    const server = await serve(whoami, { port: 0, host: '::1' });
    servers.track(server);
    const address = server.address as { address: string; port: number };
    expect(address.address).toBe('::1');
    expect((await fcgiRequest({ port: address.port, host: '::1' })).status).toBe(200);
  });

  test('with no transport option and no inherited socket, an ephemeral port on 127.0.0.1 is used', async () => {
    const server = await serve(whoami);
    servers.track(server);
    const address = server.address as { address: string; port: number };
    expect(address.address).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect((await fcgiRequest({ port: address.port })).status).toBe(200);
  });
});

describe('unix sockets', () => {
  test('socketMode is applied to the socket file', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    servers.track(await serve(whoami, { socketPath: path, socketMode: 0o600 }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('without socketMode the socket is 0660 (owner and group only)', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    servers.track(await serve(whoami, { socketPath: path }));
    expect(statSync(path).mode & 0o777).toBe(0o660);
  });

  test('under umask 000 the socket is still 0660, not world-writable', async () => {
    const path = servers.tempDir().socket();
    const script = await childServerScript();
    const child = await startChild('sh', ['-c', `umask 000 && exec "${process.execPath}" "${script}"`], {
      env: { CHILD_SOCKET: path },
    });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o660);
    } finally {
      await child.stop();
    }
  });

  test('a socketPath in a missing directory fails with an error naming the directory', async () => {
    const dir = servers.tempDir();
    const path = join(dir.path, 'missing', 'app.sock');
    const error = await serve(whoami, { socketPath: path }).then(
      () => undefined,
      (failure: NodeJS.ErrnoException) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(`the directory ${join(dir.path, 'missing')} does not exist`);
    // The system's code and error stay available to code that switches on them.
    expect(error!.code).toBe((error!.cause as NodeJS.ErrnoException).code);
  });

  test('socketMode does not touch the process umask (no process-global side effects)', async () => {
    const before = process.umask();
    servers.track(await serve(whoami, { socketPath: servers.tempDir().socket(), socketMode: 0o666 }));
    expect(process.umask()).toBe(before);
  });

  test('a stale socket file left by a killed process is replaced', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    const crash = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
    spawnSync(process.execPath, ['-e', crash]);
    expect(existsSync(path)).toBe(true);
    servers.track(await serve(whoami, { socketPath: path }));
    expect((await fcgiRequest(path)).status).toBe(200);
  });

  test('a socket another live process listens on is never stolen (EADDRINUSE)', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    const live = await listening(
      createServer((socket) => {
        // Our liveness probe connects and leaves at once: its reset is expected.
        socket.on('error', () => {});
        socket.end('still mine');
      }),
      { path },
    );
    await expect(serve(whoami, { socketPath: path })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const reply = await new Promise<string>((resolve) => {
      const socket = createConnection(path);
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
    });
    expect(reply).toBe('still mine');
    expect(live.listening).toBe(true);
  });

  test('a regular file at socketPath is not replaced', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    writeFileSync(path, 'precious');
    await expect(serve(whoami, { socketPath: path })).rejects.toThrow(/not a socket/);
  });

  test('close() removes the socket file', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    const server = await serve(whoami, { socketPath: path });
    await server.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe('handed-over sockets', () => {
  test('server: an existing net.Server is served', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    const own = await listening(createServer(), { path });
    const server = await serve(whoami, { server: own });
    servers.track(server);
    expect(server.address).toBe(path);
    expect((await fcgiRequest(path)).status).toBe(200);
  });

  test('server takes precedence over the other transport options', async () => {
    const dir = servers.tempDir();
    const own = await listening(createServer(), { path: dir.socket('own.sock') });
    servers.track(await serve(whoami, { server: own, socketPath: dir.socket('other.sock'), port: 0 }));
    expect(existsSync(dir.socket('other.sock'))).toBe(false);
    expect((await fcgiRequest(dir.socket('own.sock'))).status).toBe(200);
  });

  // TCP listeners: closing our copy of a unix listener's handle would unlink the socket file.
  async function listeningFd(): Promise<{ fd: number; port: number; closeOurCopy(): void }> {
    const server = await listening(createServer(), { port: 0, host: '127.0.0.1' });
    const handle = (server as unknown as { _handle: { fd: number; close(): void } })._handle;
    return {
      fd: handle.fd,
      port: (server.address() as { port: number }).port,
      // Only the child may accept from now on; the child's copy of the fd stays open.
      closeOurCopy: () => handle.close(),
    };
  }

  async function whoamiOver(target: { port: number } | string): Promise<{ pid: number; mode: string }> {
    const result = await fcgiRequest(target, { params: params('GET', '/whoami') });
    return JSON.parse(result.body.toString());
  }

  test('inheritedFd serves a listening socket passed as a file descriptor (and wins over socketPath)', async () => {
    const listener = await listeningFd();
    const unused = servers.tempDir().socket();
    const child = await startChild(process.execPath, [await childServerScript()], {
      env: { CHILD_MODE: 'inherited-fd', CHILD_FD: '3', CHILD_SOCKET: unused },
      stdio: ['ignore', 'pipe', 'pipe', listener.fd],
    });
    children.push(child);
    listener.closeOurCopy();
    const answer = await whoamiOver({ port: listener.port });
    expect(answer).toEqual({ pid: child.process.pid, mode: 'inherited-fd' });
    expect(existsSync(unused)).toBe(false);
  });

  test('with no options, a listening socket on fd 0 is used (FastCGI §2.2, spawn-fcgi style)', async () => {
    const listener = await listeningFd();
    const child = await startChild(process.execPath, [await childServerScript()], {
      env: { CHILD_MODE: 'auto', LISTEN_FDS: '', LISTEN_PID: '' },
      stdio: [listener.fd, 'pipe', 'pipe'],
    });
    children.push(child);
    listener.closeOurCopy();
    expect(child.address).toMatchObject({ port: listener.port });
    expect((await whoamiOver({ port: listener.port })).pid).toBe(child.process.pid);
  });

  test('with no options, a connected socket on fd 0 (a stdio socketpair) is left alone and still usable', async () => {
    const child = await startChild(process.execPath, [await childServerScript()], {
      env: { CHILD_MODE: 'auto', CHILD_ECHO_STDIN: '1', LISTEN_FDS: '', LISTEN_PID: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    expect(child.address).toMatchObject({ address: '127.0.0.1' });
    let output = '';
    child.process.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.process.stdin!.write('still open\n');
    await expect.poll(() => output, { timeout: 10_000 }).toContain('STDIN still open');
  });

  test('with no options, systemd socket activation (LISTEN_FDS/LISTEN_PID, fd 3) is used', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    // systemd-socket-activate binds the socket, then execs the command on the first connection.
    const child = spawn(
      'systemd-socket-activate',
      ['-l', path, process.execPath, await childServerScript()],
      {
        env: { ...process.env, CHILD_MODE: 'auto' },
        stdio: 'ignore',
      },
    );
    children.push({ process: child, address: path, stop: () => stop(child) });
    await expect.poll(() => existsSync(path), { timeout: 10_000 }).toBe(true);
    const answer = await whoamiOver(path);
    expect(answer).toEqual({ pid: child.pid, mode: 'auto' });
  });
});

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('allowedAddresses', () => {
  test('a peer not on the list is disconnected and reported as ConnectionDeniedError', async () => {
    const errors: Error[] = [];
    const server = await serve(whoami, {
      port: 0,
      allowedAddresses: ['10.0.0.0/8', '192.0.2.1'],
      onError: (error) => {
        errors.push(error);
      },
    });
    servers.track(server);
    const client = await RawClient.connect({ port: (server.address as { port: number }).port });
    client.begin();
    await client.waitClosed();
    expect(client.records).toEqual([]);
    expect(errors[0]).toBeInstanceOf(ConnectionDeniedError);
    expect((errors[0] as ConnectionDeniedError).remoteAddress).toBe('127.0.0.1');
  });

  test('a peer inside an allowed CIDR range is served', async () => {
    const server = await serve(whoami, { port: 0, allowedAddresses: ['127.0.0.0/8'] });
    servers.track(server);
    expect((await fcgiRequest({ port: (server.address as { port: number }).port })).status).toBe(200);
  });

  test('FCGI_WEB_SERVER_ADDRS from the environment applies when the option is absent', async () => {
    process.env.FCGI_WEB_SERVER_ADDRS = '192.0.2.1, 198.51.100.0/24';
    try {
      const server = await serve(whoami, { port: 0, onError: () => {} });
      servers.track(server);
      const client = await RawClient.connect({ port: (server.address as { port: number }).port });
      client.begin();
      await client.waitClosed();
      expect(client.records).toEqual([]);
    } finally {
      delete process.env.FCGI_WEB_SERVER_ADDRS;
    }
  });

  test('unix socket peers are always allowed', async () => {
    const { path } = await servers.start(whoami, { allowedAddresses: ['192.0.2.1'] });
    expect((await fcgiRequest(path)).status).toBe(200);
  });

  test('matches IPv4, IPv6, CIDR and IPv4-mapped IPv6 peers', () => {
    const filter = createAddressFilter([
      '127.0.0.1',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      '::ffff:192.0.2.0/120',
    ])!;
    expect(filter.allows('127.0.0.1')).toBe(true);
    expect(filter.allows('::ffff:127.0.0.1')).toBe(true);
    expect(filter.allows('10.1.200.3')).toBe(true);
    expect(filter.allows('10.2.0.1')).toBe(false);
    expect(filter.allows('::1')).toBe(true);
    expect(filter.allows('fd12:3456::1')).toBe(true);
    expect(filter.allows('fe80::1')).toBe(false);
    expect(filter.allows('192.0.2.77')).toBe(true);
    expect(filter.allows('192.0.3.1')).toBe(false);
    expect(filter.allows(undefined)).toBe(true);
  });

  test('an invalid entry is a startup error, not an open door', async () => {
    await expect(serve(whoami, { port: 0, allowedAddresses: ['not-an-ip'] })).rejects.toThrow(/not an IP/);
    expect(() => createAddressFilter(['10.0.0.0/33'])).toThrow(/prefix/);
  });

  test('no list and no FCGI_WEB_SERVER_ADDRS allows everyone', () => {
    expect(createAddressFilter(undefined, {})).toBeUndefined();
  });
});

describe('connection and params limits', () => {
  test('maxParamsBytes: params above the limit get 431 and the handler is not called', async () => {
    let called = false;
    const { path } = await servers.start(
      () => {
        called = true;
        return new Response('no');
      },
      { maxParamsBytes: 1024 },
    );
    const result = await fcgiRequest(path, { params: params('GET', '/', { HTTP_X_BIG: 'x'.repeat(2000) }) });
    expect(result.status).toBe(431);
    expect(called).toBe(false);
    expect(servers.errors[0]).toBeInstanceOf(ProtocolError);
  });

  test('maxParamsBytes defaults to 65536', async () => {
    const { path } = await servers.start(whoami);
    const fits = await fcgiRequest(path, { params: params('GET', '/', { HTTP_X_BIG: 'x'.repeat(60_000) }) });
    expect(fits.status).toBe(200);
    const tooBig = await fcgiRequest(path, {
      params: params('GET', '/', { HTTP_X_BIG: 'x'.repeat(70_000) }),
    });
    expect(tooBig.status).toBe(431);
  });

  test('maxParamsCount: more params than allowed get 431', async () => {
    const { path } = await servers.start(whoami, { maxParamsCount: 20 });
    const many = params('GET', '/');
    for (let i = 0; i < 30; i++) many[`HTTP_X_${i}`] = 'v';
    expect((await fcgiRequest(path, { params: many })).status).toBe(431);
  });

  test('params spread over many records (apache-style 16 KiB records) are reassembled', async () => {
    const { path } = await servers.start(
      (_request, info) => new Response(String(info.params.HTTP_X_LONG?.length)),
    );
    const bytes = encodeParams(params('GET', '/', { HTTP_X_LONG: 'y'.repeat(40_000) }));
    const client = await servers.connect(path);
    client.write(encodeBeginRequest(1, Role.Responder, 0));
    for (let offset = 0; offset < bytes.length; offset += 16_384) {
      client.write(encodeRecord(RecordType.Params, 1, bytes.subarray(offset, offset + 16_384)));
    }
    client.write([encodeStreamEnd(RecordType.Params, 1), encodeStreamEnd(RecordType.Stdin, 1)]);
    expect((await client.response(1)).body.toString()).toBe('40000');
  });
});

describe('close() and signal', () => {
  test('close() lets an in-flight request finish, then resolves', async () => {
    const entered = deferred();
    const release = deferred();
    const { server, path } = await servers.start(async () => {
      entered.resolve();
      await release.promise;
      return new Response('finished');
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await entered.promise;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    // New connections are refused while closing.
    await expect(RawClient.connect(path)).rejects.toThrow();
    expect(closed).toBe(false);
    release.resolve();
    const result = await client.response(1);
    expect(result.body.toString()).toBe('finished');
    await closing;
    await client.waitClosed();
  });

  test('close() ends idle keep-alive connections', async () => {
    const { server, path } = await servers.start(whoami, { idleGraceMs: 0 });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.response(1);
    await server.close();
    await client.waitClosed();
  });

  test('closeTimeout destroys connections whose requests outlive it and aborts their signal', async () => {
    const aborted = deferred();
    const { server, path } = await servers.start(
      async (_request, info) => {
        await nextEvent(info.signal);
        aborted.resolve();
        return new Response('never');
      },
      { closeTimeout: 100 },
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.waitFor(() => true);
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
    await aborted.promise;
    await client.waitClosed();
  });

  test('idleGraceMs: a request arriving on an idle connection just after close() starts is still served', async () => {
    const { server, path } = await servers.start(whoami, { idleGraceMs: 2000 });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.response(1);
    const closing = server.close();
    client.begin({ keepConn: true });
    const result = await client.response(1);
    expect(result.status).toBe(200);
    // Served during the grace period, then the connection is ended (close() is in progress).
    await client.waitClosed();
    await closing;
  });

  test('an already aborted signal closes the server right after it starts', async () => {
    const dir = servers.tempDir();
    const path = dir.socket();
    await serve(whoami, { socketPath: path, signal: AbortSignal.abort() });
    await expect.poll(() => existsSync(path)).toBe(false);
  });

  test('aborting the signal closes the server', async () => {
    const controller = new AbortController();
    const dir = servers.tempDir();
    const path = dir.socket();
    await serve(whoami, { socketPath: path, signal: controller.signal });
    expect((await fcgiRequest(path)).status).toBe(200);
    controller.abort();
    await expect.poll(() => existsSync(path)).toBe(false);
    await expect(RawClient.connect(path)).rejects.toThrow();
  });
});
