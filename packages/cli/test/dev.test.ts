import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDev } from '../src/commands/dev';
import { startGateway } from '../src/gateway/server';
import handler from './fixtures/app.mjs';
import { type CliProcess, fixture, PROCESS_TEST_TIMEOUT_MS, spawnCli } from './helpers';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('fcgi dev', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('serves the handler over FastCGI behind the gateway', async () => {
    const dev = await startDev({ handler, port: 0 });
    cleanups.push(() => dev.close());
    expect(dev.target).toMatch(/^unix:.*fcgi-dev-.*\/app\.sock$/);
    const seen = await (await fetch(`${dev.url}inspect`)).json();
    // The request really went through FastCGI: the responder saw CGI params.
    expect(seen.params.REQUEST_URI).toBe('/inspect');
    expect(seen.params.SERVER_SOFTWARE).toBe('fcgi-gateway');
  });

  it('removes its private socket directory on close', async () => {
    const dev = await startDev({ handler, port: 0 });
    const socketDir = dirname(dev.target.slice('unix:'.length));
    expect(existsSync(socketDir)).toBe(true);
    await dev.close();
    expect(existsSync(socketDir)).toBe(false);
  });

  it('moves to a free port when the default port is taken', async () => {
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    cleanups.push(() => new Promise((resolve) => squatter.close(resolve)));
    const taken = (squatter.address() as AddressInfo).port;
    const gateway = await startGateway({
      target: 'unix:/nonexistent.sock',
      port: taken,
      fallbackToFreePort: true,
    });
    cleanups.push(() => gateway.close());
    expect(gateway.address.port).not.toBe(taken);
  });

  it('prints the URL with the module name, and a development-only note', async () => {
    const proc: CliProcess = spawnCli(['dev', fixture('app-object.mjs'), '--listen', '0']);
    cleanups.push(() => proc.kill());
    const [, url] = await proc.waitForOutput(/^app-object: (http:\/\/127\.0\.0\.1:\d+\/)$/m);
    await proc.waitForOutput(/a development tool, use nginx or Caddy in production/);
    expect(await (await fetch(`${url}hi`)).text()).toMatch(
      /^Hello from an app object \(\/hi, request \d+\)\n$/,
    );
    proc.child.kill('SIGINT');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});
