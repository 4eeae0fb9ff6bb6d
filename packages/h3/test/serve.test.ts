import { serve as serveHandler } from '@fcgi/responder';
import { chunksOf, fastcgiHarness, signal } from '@fcgi/test-utils';
import { getRequestIP, H3, HTTPError, readBody } from 'h3';
import { afterEach, describe, expect, it } from 'vitest';
import { createH3Handler, getRequestInfo, serve } from '../src/index';

const harness = fastcgiHarness('h3');
afterEach(() => harness.stop());

describe('serve() with an h3 v2 app', () => {
  it('reports the address it listens on', async () => {
    let path = '';
    const { server } = await harness.start((socketPath) => {
      path = socketPath;
      return serve(new H3(), { socketPath });
    });

    expect(server.address).toBe(path);
  });

  it('routes with path params and answers JSON', async () => {
    const app = new H3().get('/users/:id', (event) => ({
      id: event.context.params?.id,
      q: event.url.searchParams.get('q'),
    }));
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/users/7?q=x');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: '7', q: 'x' });
  });

  it('reads a JSON body with readBody()', async () => {
    const app = new H3().post('/echo', async (event) => ({ got: await readBody(event) }));
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });

    expect(await response.json()).toEqual({ got: { a: [1, 2] } });
  });

  it('reads a body larger than one FastCGI record', async () => {
    const app = new H3().post('/bulk', async (event) => {
      const rows = await readBody<string[]>(event);
      return { rows: rows?.length, last: rows?.at(-1) };
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

  it("turns an HTTPError into h3's JSON error response with its status", async () => {
    const app = new H3().get('/teapot', () => {
      throw new HTTPError({ status: 418, message: 'short and stout' });
    });
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/teapot');

    expect(response.status).toBe(418);
    expect(await response.json()).toMatchObject({ status: 418, message: 'short and stout' });
  });

  it("makes h3's getRequestIP(event) return REMOTE_ADDR", async () => {
    const app = new H3().get('/ip', (event) => getRequestIP(event) ?? 'none');
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/ip', { params: { REMOTE_ADDR: '198.51.100.23' } });

    expect(await response.text()).toBe('198.51.100.23');
  });

  it('gives getRequestIP(event) undefined when the web server sent no REMOTE_ADDR', async () => {
    const app = new H3().get('/ip', (event) => getRequestIP(event) ?? 'none');
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/ip', { params: { REMOTE_ADDR: '' } });

    expect(await response.text()).toBe('none');
  });

  it('prefers X-Forwarded-For only when the app asks getRequestIP for it', async () => {
    const app = new H3()
      .get('/ip', (event) => getRequestIP(event) ?? 'none')
      .get('/forwarded-ip', (event) => getRequestIP(event, { xForwardedFor: true }) ?? 'none');
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));
    const init = { headers: { 'x-forwarded-for': '192.0.2.99' }, params: { REMOTE_ADDR: '198.51.100.23' } };

    const direct = await client.fetch('/ip', init);
    const forwarded = await client.fetch('/forwarded-ip', init);

    expect(await direct.text()).toBe('198.51.100.23');
    expect(await forwarded.text()).toBe('192.0.2.99');
  });

  it('exposes the FastCGI request info as event.runtime.fcgi and through getRequestInfo(event)', async () => {
    const app = new H3().get('/info', (event) => {
      const info = getRequestInfo(event);
      return {
        runtime: event.runtime?.name,
        sameInfo: (event.runtime as { fcgi?: unknown } | undefined)?.fcgi === info,
        stage: info?.params.APP_STAGE,
        remotePort: info?.remotePort,
        role: info?.role,
      };
    });
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/info', { params: { APP_STAGE: 'prod', REMOTE_PORT: '61000' } });

    expect(await response.json()).toEqual({
      runtime: 'fcgi',
      sameInfo: true,
      stage: 'prod',
      remotePort: 61000,
      role: 'responder',
    });
  });

  it('gives getRequestInfo(event) undefined for a request that did not come over FastCGI', async () => {
    const app = new H3().get('/info', (event) => ({ served: getRequestInfo(event) !== undefined }));

    const response = await app.request('/info');

    expect(await response.json()).toEqual({ served: false });
  });

  it('streams a ReadableStream response chunk by chunk', async () => {
    const received = [signal(), signal(), signal()];
    const encoder = new TextEncoder();
    const app = new H3().get(
      '/stream',
      () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              for (let i = 0; i < received.length; i++) {
                controller.enqueue(encoder.encode(`part ${i + 1};`));
                await received[i]!.promise;
              }
              controller.close();
            },
          }),
          { headers: { 'content-type': 'text/plain' } },
        ),
    );
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/stream');
    let body = '';
    for await (const { text } of chunksOf(response)) {
      body += text;
      const complete = body.split(';').length - 1;
      for (let i = 0; i < complete; i++) received[i]!.resolve();
    }

    expect(body).toBe('part 1;part 2;part 3;');
  });

  it('lets work passed to event.waitUntil() finish before close() resolves', async () => {
    const backgroundDone = signal();
    let finished = false;
    const app = new H3().post('/jobs', (event) => {
      event.waitUntil(
        backgroundDone.promise.then(() => {
          finished = true;
        }),
      );
      return { accepted: true };
    });
    const running = await harness.start((socketPath) => serve(app, { socketPath }));
    const response = await running.client.fetch('/jobs', { method: 'POST' });
    expect(await response.json()).toEqual({ accepted: true });
    await running.client.close();

    const closed = running.server.close();
    setImmediate(() => backgroundDone.resolve());
    await closed;

    expect(finished).toBe(true);
  });

  it('stops waiting for event.waitUntil() work after closeTimeout', async () => {
    const app = new H3().post('/forever', (event) => {
      event.waitUntil(new Promise(() => undefined));
      return 'accepted';
    });
    const running = await harness.start((socketPath) => serve(app, { socketPath, closeTimeout: 100 }));
    const response = await running.client.fetch('/forever', { method: 'POST' });
    expect(await response.text()).toBe('accepted');
    await running.client.close();

    await expect(running.server.close()).resolves.toBeUndefined();
  });
});

describe('createH3Handler()', () => {
  it("gives a handler that @fcgi/responder's serve() runs with getRequestIP and the FastCGI info working", async () => {
    const app = new H3().get('/who', (event) => ({
      ip: getRequestIP(event),
      stage: getRequestInfo(event)?.params.APP_STAGE,
    }));
    const { client } = await harness.start((socketPath) =>
      serveHandler(createH3Handler(app), { socketPath }),
    );

    const response = await client.fetch('/who', { params: { REMOTE_ADDR: '192.0.2.8', APP_STAGE: 'dev' } });

    expect(await response.json()).toEqual({ ip: '192.0.2.8', stage: 'dev' });
  });

  it('runs event.waitUntil() work in the background by default', async () => {
    const ran = signal<string>();
    const app = new H3().post('/later', (event) => {
      event.waitUntil(Promise.resolve().then(() => ran.resolve('done')));
      return 'accepted';
    });
    const { client } = await harness.start((socketPath) =>
      serveHandler(createH3Handler(app), { socketPath }),
    );

    const response = await client.fetch('/later', { method: 'POST' });

    expect(await response.text()).toBe('accepted');
    await expect(ran.promise).resolves.toBe('done');
  });
});
