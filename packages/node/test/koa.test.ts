import { Readable } from 'node:stream';
import Router from '@koa/router';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-koa');

/** A Koa app that does not print the errors its tests provoke. */
function quietKoa(): Koa {
  const app = new Koa();
  app.silent = true;
  return app;
}

async function readText(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('a Koa 3 app over FastCGI (app.callback())', () => {
  it('routes with @koa/router and answers JSON', async () => {
    const app = quietKoa();
    const router = new Router();
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id, path: ctx.path, query: ctx.query };
    });
    app.use(router.routes()).use(router.allowedMethods());
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/users/42?expand=teams');

    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ id: '42', path: '/users/42', query: { expand: 'teams' } });
  });

  it('reads the request body from ctx.req', async () => {
    const app = quietKoa();
    app.use(async (ctx) => {
      ctx.body = { received: await readText(ctx.req), type: ctx.request.type };
    });
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/', {
      method: 'POST',
      body: 'plain words',
      headers: { 'content-type': 'text/plain' },
    });

    expect(await response.json()).toEqual({ received: 'plain words', type: 'text/plain' });
  });

  it('sets several cookies with ctx.cookies', async () => {
    const app = quietKoa();
    app.use((ctx) => {
      ctx.cookies.set('a', '1', { httpOnly: false });
      ctx.cookies.set('b', '2');
      ctx.body = 'ok';
    });
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/');

    expect(response.headers.getSetCookie()).toEqual(['a=1; path=/', 'b=2; path=/; httponly']);
    await response.text();
  });

  it('answers 500 when a middleware throws', async () => {
    const app = quietKoa();
    app.use(() => {
      throw new Error('koa failure');
    });
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/');

    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
  });

  it('streams a readable assigned to ctx.body', async () => {
    const app = quietKoa();
    app.use((ctx) => {
      ctx.type = 'text/plain';
      ctx.body = Readable.from(['one ', 'two ', 'three']);
    });
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/');

    expect(await response.text()).toBe('one two three');
  });

  it('redirects with ctx.redirect()', async () => {
    const app = quietKoa();
    app.use((ctx) => ctx.redirect('/elsewhere'));
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/');

    expect([response.status, response.headers.get('location')]).toEqual([302, '/elsewhere']);
    await response.arrayBuffer();
  });

  it('takes ctx.ip from X-Forwarded-For when app.proxy is set', async () => {
    const app = quietKoa();
    app.proxy = true;
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, protocol: ctx.protocol };
    });
    const { client } = await harness.start(app.callback());

    const response = await client.fetch('/', {
      headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' },
    });

    expect(await response.json()).toEqual({ ip: '203.0.113.5', protocol: 'https' });
  });
});
