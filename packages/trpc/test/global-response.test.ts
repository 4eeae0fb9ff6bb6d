// serve() replaces the global Response with the responder's light one by default: the router's
// answers must be the ones it gives with the runtime's own Response, and close() restores the global.
import { lightResponseIsGlobal } from '@fcgi/responder';
import { fastcgiHarness } from '@fcgi/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../src/index';
import { appRouter, createContext } from './router';

const harness = fastcgiHarness('trpc-global');
afterEach(() => harness.stop());

const RuntimeResponse = globalThis.Response;
const PATHS = [
  '/trpc/greet?input=%22Ada%22',
  '/trpc/greet,greet?batch=1&input=%7B%220%22%3A%22a%22%2C%221%22%3A%22b%22%7D',
  '/trpc/greet',
  '/trpc/nothing',
];

async function answers(overrideGlobalResponse: boolean) {
  const { client } = await harness.start((socketPath) =>
    serve({ router: appRouter, endpoint: '/trpc', createContext }, { socketPath, overrideGlobalResponse }),
  );
  const out = [];
  for (const path of PATHS) {
    const response = await client.fetch(path);
    out.push([path, response.status, [...response.headers], await response.text()]);
  }
  await harness.stop();
  return out;
}

describe('the global Response while a tRPC router is served', () => {
  it('is the light Response by default, and the runtime one again after close()', async () => {
    const { server } = await harness.start((socketPath) =>
      serve({ router: appRouter, endpoint: '/trpc', createContext }, { socketPath }),
    );
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
