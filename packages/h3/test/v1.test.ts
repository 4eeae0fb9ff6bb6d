import { fastcgiHarness } from '@fcgi/test-utils';
import { createApp, createRouter, defineEventHandler, getRequestIP, readBody, toWebHandler } from 'h3-v1';
import { afterEach, describe, expect, it } from 'vitest';
import { getRequestInfo, serve } from '../src/index';

const harness = fastcgiHarness('h3');
afterEach(() => harness.stop());

function v1App() {
  const router = createRouter()
    .get(
      '/hello/:name',
      defineEventHandler((event) => ({ hello: event.context.params?.name })),
    )
    .post(
      '/echo',
      defineEventHandler(async (event) => ({ got: await readBody(event) })),
    )
    .get(
      '/ip',
      defineEventHandler((event) => getRequestIP(event) ?? 'none'),
    )
    .get(
      '/info',
      defineEventHandler((event) => ({ stage: getRequestInfo(event)?.params.APP_STAGE })),
    );
  return createApp().use(router);
}

describe('serve() with an h3 v1 app through toWebHandler()', () => {
  it('routes with path params', async () => {
    const { client } = await harness.start((socketPath) => serve(toWebHandler(v1App()), { socketPath }));

    const response = await client.fetch('/hello/ada');

    expect(await response.json()).toEqual({ hello: 'ada' });
  });

  it('reads a JSON body', async () => {
    const { client } = await harness.start((socketPath) => serve(toWebHandler(v1App()), { socketPath }));

    const response = await client.fetch('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });

    expect(await response.json()).toEqual({ got: { n: 1 } });
  });

  it("makes h3 v1's getRequestIP(event) return REMOTE_ADDR", async () => {
    const { client } = await harness.start((socketPath) => serve(toWebHandler(v1App()), { socketPath }));

    const response = await client.fetch('/ip', { params: { REMOTE_ADDR: '203.0.113.50' } });

    expect(await response.text()).toBe('203.0.113.50');
  });

  it('exposes the FastCGI request info as event.context.fcgi', async () => {
    const { client } = await harness.start((socketPath) => serve(toWebHandler(v1App()), { socketPath }));

    const response = await client.fetch('/info', { params: { APP_STAGE: 'v1' } });

    expect(await response.json()).toEqual({ stage: 'v1' });
  });

  it('gives getRequestIP(event) undefined, not an error, when the web server sent no REMOTE_ADDR', async () => {
    const { client } = await harness.start((socketPath) => serve(toWebHandler(v1App()), { socketPath }));

    const response = await client.fetch('/ip', { params: { REMOTE_ADDR: '' } });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('none');
  });
});
