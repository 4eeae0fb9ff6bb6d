import { fastcgiHarness } from '@fcgi/test-utils';
import { Hono } from 'hono';
import { ipRestriction } from 'hono/ip-restriction';
import { afterEach, describe, expect, it } from 'vitest';
import { getConnInfo, serve } from '../src/index';

const harness = fastcgiHarness('hono');
afterEach(() => harness.stop());

function connInfoApp(): Hono {
  const app = new Hono();
  app.get('/conn', (c) => c.json(getConnInfo(c)));
  return app;
}

describe('getConnInfo()', () => {
  it('reports the IPv4 client address and port the web server saw', async () => {
    const { client } = await harness.start((socketPath) => serve(connInfoApp(), { socketPath }));

    const response = await client.fetch('/conn', {
      params: { REMOTE_ADDR: '203.0.113.7', REMOTE_PORT: '54321' },
    });

    expect(await response.json()).toEqual({
      remote: { address: '203.0.113.7', port: 54321, addressType: 'IPv4', transport: 'tcp' },
    });
  });

  it('reports an IPv6 client address as IPv6', async () => {
    const { client } = await harness.start((socketPath) => serve(connInfoApp(), { socketPath }));

    const response = await client.fetch('/conn', {
      params: { REMOTE_ADDR: '2001:db8::1', REMOTE_PORT: '443' },
    });

    expect(await response.json()).toEqual({
      remote: { address: '2001:db8::1', port: 443, addressType: 'IPv6', transport: 'tcp' },
    });
  });

  it('reports no address when the web server sent no REMOTE_ADDR', async () => {
    const { client } = await harness.start((socketPath) => serve(connInfoApp(), { socketPath }));

    const response = await client.fetch('/conn', { params: { REMOTE_ADDR: '', REMOTE_PORT: '' } });

    expect(await response.json()).toEqual({ remote: {} });
  });

  it('explains itself when the app was not served by @fcgi/hono', async () => {
    const app = connInfoApp();
    app.onError((error, c) => c.text(error.message, 500));

    const response = await app.request('/conn');

    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/serve the app with serve\(\) from @fcgi\/hono/);
  });
});

describe("Hono's ipRestriction middleware with getConnInfo", () => {
  function restrictedApp(): Hono {
    const app = new Hono();
    app.use(
      '/admin/*',
      ipRestriction(getConnInfo, { denyList: ['10.0.0.13'], allowList: ['10.0.0.0/8', '::1'] }),
    );
    app.get('/admin/stats', (c) => c.text('secret stats'));
    return app;
  }

  it('lets a client from an allowed range through', async () => {
    const { client } = await harness.start((socketPath) => serve(restrictedApp(), { socketPath }));

    const response = await client.fetch('/admin/stats', { params: { REMOTE_ADDR: '10.20.30.40' } });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('secret stats');
  });

  it('lets an allowed IPv6 client through', async () => {
    const { client } = await harness.start((socketPath) => serve(restrictedApp(), { socketPath }));

    const response = await client.fetch('/admin/stats', { params: { REMOTE_ADDR: '::1' } });

    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });

  it('refuses a client outside the allow list with 403', async () => {
    const { client } = await harness.start((socketPath) => serve(restrictedApp(), { socketPath }));

    const response = await client.fetch('/admin/stats', { params: { REMOTE_ADDR: '192.0.2.1' } });

    expect(response.status).toBe(403);
    expect(await response.text()).toBe('Forbidden');
  });

  it('refuses a denied client even inside an allowed range', async () => {
    const { client } = await harness.start((socketPath) => serve(restrictedApp(), { socketPath }));

    const response = await client.fetch('/admin/stats', { params: { REMOTE_ADDR: '10.0.0.13' } });

    expect(response.status).toBe(403);
    await response.arrayBuffer();
  });
});
