// serve() replaces the global Response with the responder's light one by default: an h3 app must give
// the same answers as with the runtime's own Response, and the global comes back on close().
import { lightResponseIsGlobal } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import { H3, HTTPError } from 'h3';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../src/index';

const harness = fastcgiHarness('h3-global');
afterEach(() => harness.stop());

const RuntimeResponse = globalThis.Response;

function app(): H3 {
  return new H3()
    .get('/json', () => ({ a: 1 }))
    .get('/text', () => 'héllo')
    .get('/bytes', () => new Uint8Array([0, 1, 255]))
    .get('/own', () => new Response('own', { status: 202, headers: { 'x-own': '1' } }))
    .get('/fetched', async () => {
      const native = new RuntimeResponse('native');
      return { instance: native instanceof Response, own: new Response('x') instanceof RuntimeResponse };
    })
    .get('/fail', () => {
      throw new HTTPError({ status: 418, message: 'teapot' });
    });
}

async function answers(overrideGlobalResponse: boolean) {
  const { client } = await harness.start((socketPath) =>
    serve(app(), { socketPath, overrideGlobalResponse }),
  );
  const out = [];
  for (const path of ['/json', '/text', '/bytes', '/own', '/fetched', '/fail', '/missing']) {
    const response = await client.fetch(path);
    out.push([path, response.status, [...response.headers], Buffer.from(await response.arrayBuffer())]);
  }
  await harness.stop();
  return out;
}

describe('the global Response while an h3 app is served', () => {
  it('is the light Response by default, and the runtime one again after close()', async () => {
    const { server } = await harness.start((socketPath) => serve(app(), { socketPath }));
    expect(lightResponseIsGlobal()).toBe(true);
    await server.close();
    expect(globalThis.Response).toBe(RuntimeResponse);
  });

  it('gives every answer exactly as with the runtime Response (overrideGlobalResponse: false)', async () => {
    const native = await answers(false);
    expect(globalThis.Response).toBe(RuntimeResponse);
    expect(await answers(true)).toEqual(native);
  });
});
