import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { serve } from '@fcgi/responder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import handler from './fixtures/app.mjs';
import { cli, spawnCli, tempDir } from './helpers';

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof serve>>;
let target: string;

beforeAll(async () => {
  dir = await tempDir();
  server = await serve(handler, { socketPath: join(dir.path, 'app.sock') });
  target = `unix:${join(dir.path, 'app.sock')}`;
});

afterAll(async () => {
  await server.close();
  await dir.remove();
});

describe('fcgi request', () => {
  it('prints the body and exits 0 for a 2xx response', async () => {
    const result = await cli(['request', target, '/']);
    expect(result).toMatchObject({ code: ExitCode.Ok, stdout: 'Hello from the fixture\n', stderr: '' });
  });

  it('resolves a relative socket path against the working directory', async () => {
    const result = await cli(['request', './app.sock', '/'], { cwd: dir.path });
    expect(result.code).toBe(ExitCode.Ok);
  });

  it('exits 0 for a 3xx response', async () => {
    expect((await cli(['request', target, '/status/302'])).code).toBe(ExitCode.Ok);
  });

  it('exits 1 for a 4xx or 5xx response and says so on stderr', async () => {
    const notFound = await cli(['request', target, '/nope']);
    expect(notFound).toMatchObject({ code: ExitCode.Failure, stdout: 'not found\n' });
    expect(notFound.stderr).toContain(`404 Not Found from ${target}`);
    expect((await cli(['request', target, '/status/503'])).code).toBe(ExitCode.Failure);
  });

  it('prints the status line and headers first with -i', async () => {
    const result = await cli(['request', target, '/cookies', '-i']);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toContain('set-cookie: a=1; Path=/\r\nset-cookie: b=2; Path=/; HttpOnly\r\n');
    expect(result.stdout).toMatch(/\r\n\r\ncookies set\n$/);
  });

  it("sends -d DATA as a POST body with curl's form content type", async () => {
    const result = await cli(['request', target, '/inspect', '-d', 'a=1&b=2']);
    const seen = JSON.parse(result.stdout);
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.params.CONTENT_LENGTH).toBe('7');
  });

  it('sends the bytes of -d @file, larger than one FastCGI record', async () => {
    const body = Buffer.alloc(200_000, 'x');
    body.write('start', 0);
    const file = join(dir.path, 'body.bin');
    await writeFile(file, body);
    const result = await cli([
      'request',
      target,
      '/echo',
      '-d',
      `@${file}`,
      '-H',
      'Content-Type: application/x-test',
    ]);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdoutBytes.equals(body)).toBe(true);
  });

  it('reads the body from stdin with -d @-', async () => {
    const stdin = new PassThrough();
    stdin.end('from stdin');
    const result = await cli(['request', target, '/echo', '-X', 'PUT', '-d', '@-'], { stdin });
    expect(result.stdout).toBe('from stdin');
  });

  it('reports a -d @file that cannot be read as a usage error', async () => {
    const result = await cli(['request', target, '/echo', '-d', '@/nonexistent/file']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('cannot read -d @/nonexistent/file');
  });

  it('rejects -d with GET as a usage error', async () => {
    const result = await cli(['request', target, '/', '-X', 'GET', '-d', 'x']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('a GET request cannot have a body');
  });

  it('stops quietly when its output is closed early, as with | head', async () => {
    const file = join(dir.path, 'large.bin');
    await writeFile(file, Buffer.alloc(4_000_000, 'a'));
    const proc = spawnCli(['request', target, '/echo', '-d', `@${file}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      proc.child.stdout!.once('data', () => proc.child.stdout!.destroy());
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect(proc.stderr()).toBe('');
    } finally {
      await proc.kill();
    }
  });

  it('sends -X, -H headers, --param and the query string', async () => {
    const result = await cli([
      'request',
      target,
      '/inspect?q=1',
      '-X',
      'delete',
      '-H',
      'X-Trace: abc',
      '-H',
      'Accept: text/plain',
      '--param',
      'HTTPS=on',
      '--script-filename',
      '/srv/index.php',
    ]);
    const seen = JSON.parse(result.stdout);
    expect(seen.method).toBe('DELETE');
    expect(seen.url).toBe('https://localhost/inspect?q=1');
    expect(seen.headers).toMatchObject({ 'x-trace': 'abc', accept: 'text/plain' });
    expect(seen.params).toMatchObject({
      QUERY_STRING: 'q=1',
      SCRIPT_FILENAME: '/srv/index.php',
      HTTPS: 'on',
    });
  });

  it('uses the host of a full URL given as the path', async () => {
    const seen = JSON.parse((await cli(['request', target, 'http://example.test:8080/inspect'])).stdout);
    expect(seen.url).toBe('http://example.test:8080/inspect');
  });

  it('exits 3 with a one-line reason when the socket does not exist', async () => {
    const result = await cli(['request', join(dir.path, 'missing.sock'), '/']);
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toBe(
      `fcgi request: cannot connect to unix:${join(dir.path, 'missing.sock')}: no such socket (ENOENT)\n`,
    );
  });

  it('exits 3 when the connection is refused', async () => {
    // Port 1 on loopback has no listener on any sane test machine.
    const result = await cli(['request', '127.0.0.1:1', '/']);
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toContain('cannot connect to 127.0.0.1:1: connection refused (ECONNREFUSED)');
  });
});

describe('a backend that accepts but never answers', () => {
  let silent: Server;
  let silentTarget: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    silentTarget = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('makes request exit 3 after --timeout', async () => {
    const result = await cli(['request', silentTarget, '/', '--timeout', '300']);
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toBe(`fcgi request: no answer from ${silentTarget} within 300 ms\n`);
  });

  it('makes values exit 3 after --timeout', async () => {
    const result = await cli(['values', silentTarget, '--timeout', '300']);
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toBe(`fcgi values: no answer from ${silentTarget} within 300 ms\n`);
  });
});

describe('a backend that hangs up without answering', () => {
  let rude: Server;
  let rudeTarget: string;

  beforeAll(async () => {
    rude = createServer((socket) => socket.once('data', () => socket.destroy()));
    rude.listen(0, '127.0.0.1');
    await once(rude, 'listening');
    rudeTarget = `127.0.0.1:${(rude.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => rude.close(resolve));
  });

  it('makes request exit 1, not 3: the connection was made', async () => {
    const result = await cli(['request', rudeTarget, '/']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toMatch(new RegExp(`^fcgi request: request to ${rudeTarget} failed: .*closed`));
  });
});

describe('fcgi values', () => {
  it('prints the GET_VALUES answer as NAME=VALUE lines', async () => {
    const result = await cli(['values', target]);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/^FCGI_MPXS_CONNS=[01]$/m);
    for (const line of result.stdout.trim().split('\n')) expect(line).toMatch(/^FCGI_[A-Z_]+=\d+$/);
  });

  it('asks only for the names given', async () => {
    const result = await cli(['values', target, 'FCGI_MPXS_CONNS']);
    expect(result.stdout).toMatch(/^FCGI_MPXS_CONNS=[01]\n$/);
  });

  it('exits 3 when nothing listens', async () => {
    const result = await cli(['values', join(dir.path, 'missing.sock')]);
    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toContain('no such socket (ENOENT)');
  });
});
