import { afterEach, describe, expect, test } from 'vitest';
import { type ServeResult, serve } from '../src/index';
import { fcgiRequest, params } from './helpers/fcgi-client';
import { tempDir } from './helpers/temp';

const echo = async (request: Request) => {
  if (request.method === 'GET') return new Response(`hello ${new URL(request.url).pathname}`);
  return new Response(await request.arrayBuffer(), {
    headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' },
  });
};

let server: ServeResult | undefined;
const dir = tempDir();
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each([
  ['a unix socket', () => serve(echo, { socketPath: dir.socket() })],
  ['TCP on 127.0.0.1', () => serve(echo, { port: 0 })],
])('serve() over %s', (_name, start) => {
  test('answers a GET with the handler response', async () => {
    server = await start();
    const target = typeof server.address === 'string' ? server.address : { port: server.address!.port };
    const result = await fcgiRequest(target, { params: params('GET', '/hello') });
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('hello /hello');
    expect(result.header('content-length')).toBe('12');
    expect(result.appStatus).toBe(0);
  });

  test('echoes a POST body byte for byte', async () => {
    server = await start();
    const target = typeof server.address === 'string' ? server.address : { port: server.address!.port };
    const body = Buffer.alloc(200_000, 7);
    const result = await fcgiRequest(target, {
      params: params('POST', '/echo', {
        CONTENT_TYPE: 'application/x-test',
        CONTENT_LENGTH: String(body.length),
      }),
      body,
    });
    expect(result.status).toBe(200);
    expect(result.header('content-type')).toBe('application/x-test');
    expect(result.body.equals(body)).toBe(true);
  });
});
