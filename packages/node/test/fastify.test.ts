import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { NodeListener } from '../src/index';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-fastify');

function routes(app: FastifyInstance): FastifyInstance {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-hook', 'ran');
  });
  app.post('/items', async (request, reply) => {
    reply.code(201);
    return { created: (request.body as { name: string }).name };
  });
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/fail', async () => {
    throw new Error('fastify failure');
  });
  app.get('/stream', (_request, reply) => {
    reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
  });
  app.get('/ip', async (request) => ({ ip: request.ip, protocol: request.protocol }));
  return app;
}

describe('a Fastify 5 app over FastCGI (app.server after app.ready())', () => {
  async function start(options: FastifyServerOptions = {}) {
    const app = routes(Fastify({ logger: false, ...options }));
    await app.ready();
    return harness.start(app.server);
  }

  it('parses a JSON body and runs onRequest hooks', async () => {
    const { client } = await start();

    const response = await client.fetch('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lamp' }),
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-hook')).toBe('ran');
    expect(await response.json()).toEqual({ created: 'lamp' });
  });

  it('answers route params as JSON with a Content-Length', async () => {
    const { client } = await start();

    const response = await client.fetch('/items/7');
    const body = await response.text();

    expect(JSON.parse(body)).toEqual({ id: '7' });
    expect(response.headers.get('content-length')).toBe(String(body.length));
  });

  it("answers 404 from Fastify's not-found handler", async () => {
    const { client } = await start();

    const response = await client.fetch('/nowhere');

    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toBe('Route GET:/nowhere not found');
  });

  it("answers 500 from Fastify's error handler when a route throws", async () => {
    const { client } = await start();

    const response = await client.fetch('/fail');

    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toBe('fastify failure');
  });

  it('streams a readable sent with reply.send()', async () => {
    const { client } = await start();

    const response = await client.fetch('/stream');

    expect(await response.text()).toBe('abc');
  });

  it('takes request.ip from X-Forwarded-For with trustProxy', async () => {
    const { client } = await start({ trustProxy: true });

    const response = await client.fetch('/ip', {
      headers: { 'x-forwarded-for': '203.0.113.6', 'x-forwarded-proto': 'https' },
    });

    expect(await response.json()).toEqual({ ip: '203.0.113.6', protocol: 'https' });
  });
});

describe('a Fastify 5 app over FastCGI (the handler given to serverFactory)', () => {
  it('serves the handler Fastify hands to its serverFactory', async () => {
    let handler: NodeListener | undefined;
    const app = routes(
      Fastify({
        serverFactory: (fastifyHandler) => {
          handler = fastifyHandler;
          return createServer(fastifyHandler);
        },
      }),
    );
    await app.ready();
    const { client } = await harness.start(handler as NodeListener);

    const response = await client.fetch('/items/9');

    expect(await response.json()).toEqual({ id: '9' });
  });
});
