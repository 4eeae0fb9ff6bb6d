import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { serve } from '@fcgi/responder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PingExit } from '../src/commands/ping';
import handler from './fixtures/app.mjs';
import { cli, tempDir } from './helpers';

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof serve>>;
let target: string;
/** Accepts connections and never answers: a hung backend. */
let silent: Server;
let silentTarget: string;

beforeAll(async () => {
  dir = await tempDir();
  server = await serve(handler, { socketPath: join(dir.path, 'app.sock') });
  target = `unix:${join(dir.path, 'app.sock')}`;
  silent = createServer(() => {});
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentTarget = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server.close();
  silent.close();
  await dir.remove();
});

describe('fcgi ping', () => {
  it('exits 0 and says so when the backend answers FCGI_GET_VALUES', async () => {
    const result = await cli(['ping', target]);
    expect(result.code).toBe(PingExit.Healthy);
    expect(result.stdout).toMatch(/healthy: answered FCGI_GET_VALUES in \d+ ms/);
  });

  it('prints nothing when healthy with --quiet', async () => {
    const result = await cli(['ping', target, '--quiet']);
    expect(result).toMatchObject({ code: PingExit.Healthy, stdout: '', stderr: '' });
  });

  it('exits 0 when --path answers 2xx through the app', async () => {
    const result = await cli(['ping', target, '--path', '/']);
    expect(result.code).toBe(PingExit.Healthy);
    expect(result.stdout).toContain('answered GET /');
  });

  it('exits 1 with the status when --path answers an error status', async () => {
    const result = await cli(['ping', target, '--path', '/status/503']);
    expect(result.code).toBe(PingExit.Unhealthy);
    expect(result.stderr).toMatch(/unhealthy: answered 503/);
  });

  it('exits 1 naming the cause when nothing listens on the socket', async () => {
    const result = await cli(['ping', `unix:${join(dir.path, 'missing.sock')}`]);
    expect(result.code).toBe(PingExit.Unhealthy);
    expect(result.stderr).toMatch(/unhealthy: cannot connect .*no such socket/);
  });

  it('exits 1 after --timeout when the backend accepts but never answers', async () => {
    const result = await cli(['ping', silentTarget, '--timeout', '300']);
    expect(result.code).toBe(PingExit.Unhealthy);
    expect(result.stderr).toMatch(/unhealthy: .*300 ms/);
  });

  it('exits 1 after --timeout when the app never answers --path', async () => {
    const result = await cli(['ping', silentTarget, '--path', '/', '--timeout', '300']);
    expect(result.code).toBe(PingExit.Unhealthy);
    expect(result.stderr).toMatch(/unhealthy: no answer within 300 ms/);
  });

  it('exits 2 without a target, a usage mistake rather than an unhealthy backend', async () => {
    const result = await cli(['ping']);
    expect(result.code).toBe(PingExit.Usage);
    expect(result.stderr).toContain('needs a TARGET');
  });

  it('exits 2 for a --path that is not absolute', async () => {
    expect((await cli(['ping', target, '--path', 'health'])).code).toBe(PingExit.Usage);
  });
});
