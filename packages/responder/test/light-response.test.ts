// The opt-in light Response: behaves as a Response for the handler, and is written by the responder
// straight from its (body, init).
import { describe, expect, test } from 'vitest';
import { Response as FcgiResponse, LightResponse } from '../src/index';
import { params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();

async function served(make: () => Response, method = 'GET') {
  const { path } = await servers.start(make);
  const client = await servers.connect(path);
  client.begin({ keepConn: true, params: params(method, '/') });
  return client.response(1);
}

describe('LightResponse as a Response', () => {
  test('is exported as Response, is instanceof the global Response, with its defaults', async () => {
    const response = new FcgiResponse('hi');
    expect(FcgiResponse).toBe(LightResponse);
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.statusText, response.ok]).toEqual([200, '', true]);
    expect(response.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(await response.text()).toBe('hi');
  });

  test('reads its body once, through text(), json(), bytes() or arrayBuffer()', async () => {
    expect(await new FcgiResponse('{"a":1}').json()).toEqual({ a: 1 });
    expect([...(await (new FcgiResponse(Uint8Array.of(1, 2)) as unknown as LightResponse).bytes())]).toEqual([
      1, 2,
    ]);
    expect(new Uint8Array(await new FcgiResponse('ab').arrayBuffer())).toEqual(Uint8Array.of(97, 98));
    const once = new FcgiResponse('x');
    await once.text();
    expect(once.bodyUsed).toBe(true);
    await expect(once.text()).rejects.toThrow(TypeError);
  });

  test('reading a byte body gives a copy the reader may change freely', async () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const read = new Uint8Array(await new FcgiResponse(bytes).arrayBuffer());
    read[0] = 9;
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  test('clone(), body and other members come from a real Response', async () => {
    const response = new FcgiResponse('twin', { status: 201, headers: { 'x-a': '1' } });
    const copy = response.clone();
    expect(copy.status).toBe(201);
    expect(copy.headers.get('x-a')).toBe('1');
    expect(await copy.text()).toBe('twin');
    expect(response.type).toBe('default');
    expect(await new Response(response.body).text()).toBe('twin');
  });

  test('Response.json() sets the JSON content type', async () => {
    const response = FcgiResponse.json({ ok: true }, { status: 202 });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ok: true });
  });

  test('rejects what the Fetch standard rejects: a bad status, a body with 204', () => {
    expect(() => new FcgiResponse('x', { status: 700 })).toThrow(RangeError);
    expect(() => new FcgiResponse('x', { status: 204 })).toThrow(TypeError);
  });

  test('a stream body is handed to a real Response at once', async () => {
    const response = new FcgiResponse(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('streamed'));
          controller.close();
        },
      }),
    );
    expect(await response.text()).toBe('streamed');
  });
});

describe('LightResponse through the responder', () => {
  test('a string body is sent with its Content-Length and default content type', async () => {
    const result = await served(() => new FcgiResponse('Hello, World!'));
    expect(result.status).toBe(200);
    expect(result.header('content-length')).toBe('13');
    expect(result.header('content-type')).toBe('text/plain;charset=UTF-8');
    expect(result.body.toString()).toBe('Hello, World!');
  });

  test('header pairs keep repeated Set-Cookie lines; hop-by-hop ones are dropped; Status is last', async () => {
    const result = await served(
      () =>
        new FcgiResponse('moved', {
          status: 301,
          headers: [
            ['location', '/there'],
            ['set-cookie', 'a=1'],
            ['set-cookie', 'b=2'],
            ['transfer-encoding', 'chunked'],
          ],
        }),
    );
    const lines = result.stdout.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
    expect(lines.filter((line) => line.startsWith('set-cookie'))).toEqual([
      'set-cookie: a=1',
      'set-cookie: b=2',
    ]);
    expect(lines.some((line) => line.startsWith('transfer-encoding'))).toBe(false);
    expect(lines.at(-1)).toBe('Status: 301 Moved Permanently');
  });

  test('headers changed through response.headers after construction are sent', async () => {
    const result = await served(() => {
      const response = new FcgiResponse('x', { headers: { 'x-a': '1' } });
      response.headers.set('x-b', '2');
      return response;
    });
    expect([result.header('x-a'), result.header('x-b')]).toEqual(['1', '2']);
  });

  test('HEAD gets the headers and Content-Length but no body; null bodies get Content-Length: 0', async () => {
    const head = await served(() => new FcgiResponse('Hello'), 'HEAD');
    expect(head.header('content-length')).toBe('5');
    expect(head.body.length).toBe(0);
    const empty = await served(() => new FcgiResponse(null, { status: 404 }));
    expect(empty.header('content-length')).toBe('0');
  });

  test('a LightResponse whose body the handler already read is a 500', async () => {
    const result = await served(() => {
      const response = new FcgiResponse('x');
      void response.text();
      return response;
    });
    expect(result.status).toBe(500);
  });
});

describe('LightResponse validates its init exactly as the global Response does', () => {
  const inits: Array<[string, ResponseInit]> = [
    ['a statusText with VT', { statusText: 'O\x0bK' }],
    ['a statusText with DEL', { statusText: 'O\x7fK' }],
    ['a statusText with CR LF', { statusText: 'OK\r\nX-Injected: 1' }],
    ['a statusText above U+00FF', { statusText: 'O\u0100K' }],
    ['a status of 199', { status: 199 }],
    ['a status of 600', { status: 600 }],
    ['a header value with NUL', { headers: { 'x-a': 'a\0b' } }],
    ['a header value with CR LF', { headers: [['x-a', 'a\r\nX-Injected: 1']] }],
    ['a header value above U+00FF', { headers: { 'x-a': 'a\u0100' } }],
    ['a header name with a space', { headers: { 'x a': '1' } }],
    ['an empty header name', { headers: [['', '1']] }],
  ];

  test.each(inits)('refuses %s with the same error class', (_name, init) => {
    expect(() => new Response('x', init)).toThrow();
    let expected: unknown;
    try {
      new Response('x', init);
    } catch (error) {
      expected = (error as Error).constructor;
    }
    expect(() => new FcgiResponse('x', init)).toThrow(expected as ErrorConstructor);
  });

  test.each([
    ['a statusText with obs-text and HTAB', { statusText: 'O\tK\xe9' }],
    ['a header value with VT and DEL', { headers: { 'x-a': 'a\x0bb\x7fc' } }],
    ['a fractional status', { status: 201.7 }],
  ])('accepts %s and writes what the global Response would', async (_name, init: ResponseInit) => {
    const native = new Response('x', init);
    const light = new FcgiResponse('x', init);
    expect([light.status, light.statusText]).toEqual([native.status, native.statusText]);
    // The same lines (the global Headers sorts them by name; the light Response keeps their order).
    const lines = (stdout: Buffer) => stdout.toString('latin1').split('\r\n').sort();
    const nativeOut = (await served(() => new Response('x', init))).stdout;
    const lightOut = (await served(() => new FcgiResponse('x', init))).stdout;
    expect(lines(lightOut)).toEqual(lines(nativeOut));
  });

  test('trims whitespace around header values as the global Headers does', async () => {
    const result = await served(() => new FcgiResponse('x', { headers: { 'x-a': ' \t spaced \t ' } }));
    expect(result.stdout.toString('latin1')).toContain('x-a: spaced\r\n');
  });
});
