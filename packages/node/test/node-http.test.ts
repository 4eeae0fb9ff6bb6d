import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { signal } from '@fcgi/test-utils';
import { describe, expect, it } from 'vitest';
import { toFetchHandler } from '../src/index';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-http');

describe('a plain node:http listener over FastCGI', () => {
  it('sends the status, reason and headers given to res.writeHead()', async () => {
    const { client } = await harness.start((_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(203, 'Partly True', { 'content-type': 'text/plain', 'x-one': '1' });
      res.end('body');
    });

    const response = await client.fetch('/');

    expect([response.status, response.statusText]).toEqual([203, 'Partly True']);
    expect(response.headers.get('x-one')).toBe('1');
    expect(await response.text()).toBe('body');
  });

  it('sends each value of an array given to res.setHeader() as its own header line', async () => {
    const { client } = await harness.start((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('link', ['</a.css>; rel=preload', '</b.js>; rel=preload']);
      res.setHeader('set-cookie', ['x=1', 'y=2']);
      res.end();
    });

    const response = await client.fetch('/');

    expect(response.headers.get('link')).toBe('</a.css>; rel=preload, </b.js>; rel=preload');
    expect(response.headers.getSetCookie()).toEqual(['x=1', 'y=2']);
    await response.arrayBuffer();
  });

  it('reports res.headersSent only once the head is written', async () => {
    const states = signal<boolean[]>();
    const { client } = await harness.start((_req: IncomingMessage, res: ServerResponse) => {
      const before = res.headersSent;
      res.write('x');
      states.resolve([before, res.headersSent]);
      res.end();
    });

    const response = await client.fetch('/');
    await response.text();

    expect(await states.promise).toEqual([false, true]);
  });

  it('sends no body for a 204', async () => {
    const { client } = await harness.start((_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 204;
      res.end();
    });

    const response = await client.fetch('/');

    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('gives req.httpVersion from SERVER_PROTOCOL and headers from HTTP_* params', async () => {
    const { client } = await harness.start((req: IncomingMessage, res: ServerResponse) => {
      res.end(
        JSON.stringify({ accept: req.headers.accept, host: req.headers.host, version: req.httpVersion }),
      );
    });

    const response = await client.fetch('/', {
      params: { HTTP_ACCEPT: 'text/html, application/json', SERVER_PROTOCOL: 'HTTP/2.0' },
    });

    expect(await response.json()).toEqual({
      accept: 'text/html, application/json',
      host: 'localhost',
      version: '2.0',
    });
  });

  it("dispatches to a node:http Server's 'request' listeners", async () => {
    const server = createServer((req, res) => res.end(`server saw ${req.url}`));
    const { client } = await harness.start(server);

    const response = await client.fetch('/path');

    expect(await response.text()).toBe('server saw /path');
  });

  it("answers 500 for a Server without a 'request' listener", async () => {
    const { client } = await harness.start(createServer(), { onError: () => undefined });

    const response = await client.fetch('/');

    expect(response.status).toBe(500);
    await response.arrayBuffer();
  });

  it('rejects something that is neither a listener nor a Server', () => {
    expect(() => toFetchHandler({} as never)).toThrow(
      'Expected a (req, res) request listener or a node:http Server',
    );
  });
});
