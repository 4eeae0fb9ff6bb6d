import { serve as serveHandler } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createHonoHandler, type FcgiEnv, getConnInfo, serve } from '../src/index';

const harness = fastcgiHarness('hono');
afterEach(() => harness.stop());

describe('serve()', () => {
  it('routes requests to the Hono app with path params and query', async () => {
    const app = new Hono();
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), tab: c.req.query('tab') }));
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/users/42?tab=posts');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ id: '42', tab: 'posts' });
  });

  it('reads a JSON request body and answers with a status and headers of its choosing', async () => {
    const app = new Hono();
    app.post('/items', async (c) => {
      const body = await c.req.json<{ name: string }>();
      return c.json({ created: body.name }, 201, { Location: '/items/1' });
    });
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kettle' }),
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/items/1');
    expect(await response.json()).toEqual({ created: 'kettle' });
  });

  it('reads a request body larger than one FastCGI record', async () => {
    const app = new Hono();
    app.post('/bulk', async (c) => {
      const rows = await c.req.json<string[]>();
      return c.json({ rows: rows.length, last: rows.at(-1) });
    });
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));
    const rows = Array.from({ length: 20_000 }, (_, i) => `row ${i}`);

    const response = await client.fetch('/bulk', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rows),
    });

    expect(JSON.stringify(rows).length).toBeGreaterThan(3 * 65535);
    expect(await response.json()).toEqual({ rows: 20_000, last: 'row 19999' });
  });

  it('passes the FastCGI request info as c.env, with the raw CGI params', async () => {
    const app = new Hono<FcgiEnv>();
    app.get('/env', (c) =>
      c.json({
        method: c.env.params.REQUEST_METHOD,
        custom: c.env.params.APP_STAGE,
        role: c.env.role,
        requestId: c.env.requestId,
        signal: c.env.signal instanceof AbortSignal,
      }),
    );
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/env', { params: { APP_STAGE: 'staging' } });

    expect(await response.json()).toEqual({
      method: 'GET',
      custom: 'staging',
      role: 'responder',
      requestId: expect.any(Number),
      signal: true,
    });
  });

  it("answers with the app's own 404 and error handler", async () => {
    const app = new Hono();
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.onError((error, c) => c.json({ error: error.message }, 500));
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const missing = await client.fetch('/nowhere');
    const failed = await client.fetch('/boom');

    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'kaput' });
  });

  it('keeps each Set-Cookie header separate', async () => {
    const app = new Hono();
    app.get('/login', (c) => {
      c.header('Set-Cookie', 'a=1; Path=/', { append: true });
      c.header('Set-Cookie', 'b=2; Path=/; HttpOnly', { append: true });
      return c.text('ok');
    });
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/login');

    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(await response.text()).toBe('ok');
  });
});

describe('createHonoHandler()', () => {
  it("gives a handler that @fcgi/responder's serve() runs with c.env and getConnInfo working", async () => {
    const app = new Hono<FcgiEnv>();
    app.get('/who', (c) => c.json({ address: getConnInfo(c).remote.address, stage: c.env.params.APP_STAGE }));
    const { client } = await harness.start((socketPath) =>
      serveHandler(createHonoHandler(app), { socketPath }),
    );

    const response = await client.fetch('/who', { params: { REMOTE_ADDR: '192.0.2.7', APP_STAGE: 'dev' } });

    expect(await response.json()).toEqual({ address: '192.0.2.7', stage: 'dev' });
  });
});
