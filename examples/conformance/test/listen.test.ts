import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { listenTargetFromEnv, removeStaleSocket } from '../src/listen';

let dir: string | undefined;
let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('where the app listens', () => {
  test('FCGI_SOCKET wins and names a unix socket', () => {
    expect(listenTargetFromEnv({ FCGI_SOCKET: '/tmp/a.sock', FCGI_PORT: '9000' })).toEqual({
      socketPath: '/tmp/a.sock',
    });
  });

  test('FCGI_PORT listens on 127.0.0.1', () => {
    expect(listenTargetFromEnv({ FCGI_PORT: '9000' })).toEqual({ port: 9000, host: '127.0.0.1' });
  });

  test('neither variable (or a bad port) is an error that says what to set', () => {
    expect(() => listenTargetFromEnv({})).toThrow(/FCGI_SOCKET.*FCGI_PORT/);
    expect(() => listenTargetFromEnv({ FCGI_PORT: '70000' })).toThrow(/FCGI_PORT/);
  });
});

describe('stale sockets', () => {
  test('a socket file left by a previous run is removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-'));
    const path = join(dir, 'app.sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    // A killed process leaves its socket file behind; closing a listener normally unlinks it, so
    // remove it while the listener still holds it, as a restart over a crashed run would find it.
    removeStaleSocket(path);
    expect(existsSync(path)).toBe(false);
  });

  test('a regular file at the path is left alone', () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-'));
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'data');
    removeStaleSocket(path);
    expect(existsSync(path)).toBe(true);
  });

  test('a missing path is fine', () => {
    expect(() => removeStaleSocket('/nonexistent/dir/app.sock')).not.toThrow();
  });
});
