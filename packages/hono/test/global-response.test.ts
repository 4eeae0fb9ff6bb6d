// serve() from @fcgi/hono replaces the global Response with the responder's light one by default, so an
// unmodified Hono app takes the fast path; the app must not be able to tell, and every answer must be
// the one it gives with the runtime's own Response (overrideGlobalResponse: false).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LightResponse, lightResponseIsGlobal } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterEach, describe, expect, it } from 'vitest';
import { createHonoHandler, serve } from '../src/index';

const harness = fastcgiHarness('hono-global');
afterEach(() => harness.stop());

const RuntimeResponse = globalThis.Response;

/** A Hono app using each way Hono builds a response. */
function app(): Hono {
  const hono = new Hono();
  hono.get('/text', (c) => c.text('héllo'));
  hono.get('/json', (c) => c.json({ a: [1, 2] }, 201));
  hono.get('/html', (c) => c.html('<p>hi</p>'));
  hono.get('/bytes', (c) => c.body(new Uint8Array([0, 1, 2, 255]), 200, { 'X-Kind': 'bytes' }));
  hono.get('/buffer', (c) => c.body(Buffer.alloc(200_000, 'z')));
  hono.get('/redirect', (c) => c.redirect('/text', 302));
  hono.get('/cookies', (c) => {
    c.header('Set-Cookie', 'a=1', { append: true });
    c.header('Set-Cookie', 'b=2', { append: true });
    return c.body(null, 204);
  });
  hono.get('/stream', (c) =>
    stream(c, async (s) => {
      await s.write('one ');
      await s.write('two');
    }),
  );
  hono.get('/raw', () => new Response('raw', { headers: { 'x-raw': '1' } }));
  hono.get('/static-json', () => Response.json({ b: true }));
  return hono;
}

const PATHS = [
  '/text',
  '/json',
  '/html',
  '/bytes',
  '/buffer',
  '/redirect',
  '/cookies',
  '/stream',
  '/raw',
  '/static-json',
  '/missing',
];

async function answers(overrideGlobalResponse: boolean) {
  const { client } = await harness.start((socketPath) =>
    serve(app(), { socketPath, overrideGlobalResponse }),
  );
  const out = [];
  for (const path of PATHS) {
    const response = await client.fetch(path);
    out.push({
      path,
      status: response.status,
      headers: [...response.headers],
      body: Buffer.from(await response.arrayBuffer()).toString('base64'),
    });
  }
  await harness.stop();
  return out;
}

describe('the global Response while serving', () => {
  it('is the light Response by default and the runtime one again after close()', async () => {
    const { server } = await harness.start((socketPath) => serve(app(), { socketPath }));
    expect(lightResponseIsGlobal()).toBe(true);
    expect(new Response('x')).toBeInstanceOf(LightResponse);
    await server.close();
    expect(globalThis.Response).toBe(RuntimeResponse);
  });

  it('stays the runtime one with overrideGlobalResponse: false', async () => {
    await harness.start((socketPath) => serve(app(), { socketPath, overrideGlobalResponse: false }));
    expect(globalThis.Response).toBe(RuntimeResponse);
  });

  it('gives every answer of a Hono app exactly as the runtime Response does', async () => {
    const native = await answers(false);
    const light = await answers(true);
    expect(light).toEqual(native);
  });

  it('lets a handler check instanceof Response on fetch() results and its own responses', async () => {
    const upstream = createServer((_req, res) => res.end('upstream'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    const hono = new Hono();
    hono.get('/check', async (c) => {
      const fetched = await fetch(`http://127.0.0.1:${port}/`);
      const own = c.text('own');
      return c.json({
        fetched: fetched instanceof Response,
        fetchedNative: fetched instanceof RuntimeResponse,
        own: own instanceof Response,
        ownNative: own instanceof RuntimeResponse,
        text: await fetched.text(),
      });
    });
    hono.get('/proxy', () => fetch(`http://127.0.0.1:${port}/`));
    try {
      const { client } = await harness.start((socketPath) => serve(hono, { socketPath }));
      expect(await (await client.fetch('/check')).json()).toEqual({
        fetched: true,
        fetchedNative: true,
        own: true,
        ownNative: true,
        text: 'upstream',
      });
      expect(await (await client.fetch('/proxy')).text()).toBe('upstream');
    } finally {
      upstream.close();
    }
  });

  it('createHonoHandler() with overrideGlobalResponse: false leaves the global alone', () => {
    createHonoHandler(app(), { overrideGlobalResponse: false });
    expect(globalThis.Response).toBe(RuntimeResponse);
  });
});
