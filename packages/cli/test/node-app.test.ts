import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createClient } from '@fcgi/client';
import { type Handler, serve } from '@fcgi/responder';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes';
import { loadHandler } from '../src/load-handler';
import { nodeAppKind } from '../src/node-app';
import { type CliProcess, fixture, PROCESS_TEST_TIMEOUT_MS, spawnCli, tempDir } from './helpers';

let dir: Awaited<ReturnType<typeof tempDir>>;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await dir.remove();
});

/** Serves `handler` on a unix socket and asks it `path`. */
async function ask(handler: Handler, path: string, init?: RequestInit): Promise<Response> {
  const socketPath = join(dir.path, 'app.sock');
  const server = await serve(handler, { socketPath });
  cleanups.push(() => server.close());
  const client = createClient(socketPath);
  cleanups.push(() => client.close());
  return client.fetch(path, init);
}

describe('recognising a node:http app by its shape', () => {
  it('takes an Express app for a (req, res) app', () => {
    expect(nodeAppKind(express())).toBe('express');
  });

  it('takes a Koa app for a (req, res) app', () => {
    expect(nodeAppKind(new Koa())).toBe('koa');
  });

  it('takes a Fastify instance for a (req, res) app', () => {
    expect(nodeAppKind(Fastify())).toBe('fastify');
  });

  it('takes a node:http Server for a (req, res) app', () => {
    expect(nodeAppKind(createServer())).toBe('server');
  });

  it('leaves fetch handlers alone, whatever their number of parameters', () => {
    expect(nodeAppKind((request: Request) => new Response(request.url))).toBeUndefined();
    expect(nodeAppKind((_request: Request, _info: unknown) => new Response())).toBeUndefined();
  });

  it('leaves an app with a fetch method alone', () => {
    expect(nodeAppKind({ fetch: () => new Response(), callback: () => {}, use: () => {} })).toBeUndefined();
  });
});

describe('loading a module whose default export is a node:http app', () => {
  it('serves an Express app with its own middleware', async () => {
    const handler = await loadHandler(fixture('express-app.mjs'), '/');

    const response = await ask(handler, '/hello/ada', {
      params: { REMOTE_ADDR: '203.0.113.8' },
    } as RequestInit);

    expect(await response.json()).toEqual({ hello: 'ada', from: '203.0.113.8' });
  });

  it('serves a Koa app through its callback()', async () => {
    const handler = await loadHandler(fixture('koa-app.mjs'), '/');

    const response = await ask(handler, '/k');

    expect(await response.json()).toEqual({ framework: 'koa', path: '/k' });
  });

  it('serves a Fastify app once it is ready', async () => {
    const handler = await loadHandler(fixture('fastify-app.mjs'), '/');

    const response = await ask(handler, '/items/5');

    expect(await response.json()).toEqual({ framework: 'fastify', id: '5' });
  });

  it("serves a node:http Server through its 'request' listener", async () => {
    const handler = await loadHandler(fixture('node-server.mjs'), '/');

    const response = await ask(handler, '/path?q=1', { method: 'DELETE' });

    expect(await response.text()).toBe('node:http saw DELETE /path?q=1\n');
  });

  it("explains a node:http Server without a 'request' listener", async () => {
    await expect(loadHandler(fixture('server-without-listener.mjs'), '/')).rejects.toThrow(
      /exports a node:http Server with no 'request' listener: create it with http\.createServer/,
    );
  });
});

describe('fcgi serve with a node:http app', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('says to install @fcgi/node when the module cannot import it', async () => {
    // Outside the repository (and without the NODE_PATH pnpm's shims set) nothing resolves @fcgi/node;
    // an Express-shaped app needs no import.
    await writeFile(
      join(dir.path, 'app.mjs'),
      'const app = (req, res) => res.end();\napp.handle = app;\napp.listen = () => {};\nexport default app;\n',
    );
    const proc = spawnCli(['serve', 'app.mjs', '--socket', join(dir.path, 'app.sock')], {
      cwd: dir.path,
      env: { NODE_PATH: '' },
    });
    cleanups.push(() => proc.kill());

    const { code } = await proc.exited;

    expect(code).toBe(ExitCode.Failure);
    expect(proc.stderr()).toContain(
      `app.mjs exports an Express/Connect app, which fcgi serves with @fcgi/node: run "npm install @fcgi/node" in ${dir.path} (or its project); it is not installed there`,
    );
  });

  it('serves an Express app module over FastCGI', async () => {
    const socketPath = join(dir.path, 'express.sock');
    const proc: CliProcess = spawnCli(['serve', fixture('express-app.mjs'), '--socket', socketPath]);
    cleanups.push(() => proc.kill());
    await proc.waitForOutput(/listening on/);
    const client = createClient(socketPath);
    cleanups.push(() => client.close());

    const response = await client.fetch('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ over: 'fcgi serve' }),
    });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ over: 'fcgi serve' });
  });
});
