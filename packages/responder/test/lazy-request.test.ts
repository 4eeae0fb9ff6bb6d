// The Request a handler receives must behave like a real one everywhere a framework might look, in both
// forms: the lazy Request (built on first access, used where the runtime accepts it as its own) and the
// standard one (built with the public constructor, used everywhere else, e.g. Node 24 and later).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forceStandardRequests, requestStrategy } from '../src/lazy-request';
import { params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const nodeMajor = Number(process.versions.node.split('.')[0]);
const strategies = requestStrategy() === 'lazy' ? ['lazy', 'standard'] : ['standard'];

async function roundTrip(
  handler: (request: Request) => Promise<unknown> | unknown,
  method = 'POST',
  body: string | undefined = 'a=1&b=two',
  extra: Record<string, string> = { CONTENT_TYPE: 'application/x-www-form-urlencoded' },
): Promise<unknown> {
  const { path } = await servers.start(async (request) => Response.json(await handler(request)));
  const client = await servers.connect(path);
  client.begin({ params: params(method, '/path?q=1', extra), body });
  const result = await client.response(1);
  if (result.status !== 200) throw new Error(`status ${result.status}: ${result.body}`);
  return JSON.parse(result.body.toString());
}

test('the lazy Request is used exactly where the runtime accepts it as a Request (Node 20 and 22)', () => {
  expect(requestStrategy()).toBe(nodeMajor >= 24 ? 'standard' : 'lazy');
});

describe.each(strategies)('the %s Request', (strategy) => {
  beforeAll(() => forceStandardRequests(strategy === 'standard'));
  afterAll(() => forceStandardRequests(false));

  test('is instanceof Request and reports itself as one', async () => {
    expect(
      await roundTrip((request) => [request instanceof Request, Object.prototype.toString.call(request)]),
    ).toEqual([true, '[object Request]']);
  });

  test('has method, url and headers', async () => {
    expect(
      await roundTrip((request) => [request.method, request.url, request.headers.get('content-type')]),
    ).toEqual(['POST', 'http://example.test:8080/path?q=1', 'application/x-www-form-urlencoded']);
  });

  test.each([
    ['text()', (r: Request) => r.text()],
    ['arrayBuffer()', async (r: Request) => Buffer.from(await r.arrayBuffer()).toString()],
    [
      'bytes()',
      async (r: Request) =>
        Buffer.from(await (r as unknown as { bytes(): Promise<Uint8Array> }).bytes()).toString(),
    ],
    ['blob()', async (r: Request) => (await r.blob()).text()],
    ['body stream', async (r: Request) => new Response(r.body).text()],
    ['formData()', async (r: Request) => Object.fromEntries(await r.formData())],
  ])('reads the body through %s', async (_name, read) => {
    const value = await roundTrip(read);
    expect(value).toEqual(typeof value === 'string' ? 'a=1&b=two' : { a: '1', b: 'two' });
  });

  test('json() parses the body', async () => {
    expect(
      await roundTrip((r) => r.json(), 'POST', '{"x":[1,2]}', { CONTENT_TYPE: 'application/json' }),
    ).toEqual({
      x: [1, 2],
    });
  });

  test('the body can be read only once, and bodyUsed says so', async () => {
    expect(
      await roundTrip(async (request) => {
        const before = request.bodyUsed;
        await request.text();
        const second = await request.text().then(
          () => 'read twice',
          (error: Error) => error.name,
        );
        return [before, request.bodyUsed, second];
      }),
    ).toEqual([false, true, 'TypeError']);
  });

  test('clone() gives two readable copies', async () => {
    expect(
      await roundTrip(async (request) => {
        const copy = request.clone();
        return [await copy.text(), await request.text(), copy instanceof Request];
      }),
    ).toEqual(['a=1&b=two', 'a=1&b=two', true]);
  });

  test('new Request(lazy) copies method, url, headers and body', async () => {
    expect(
      await roundTrip(async (request) => {
        const copy = new Request(request);
        return [copy.method, copy.url, copy.headers.get('content-type'), await copy.text()];
      }),
    ).toEqual([
      'POST',
      'http://example.test:8080/path?q=1',
      'application/x-www-form-urlencoded',
      'a=1&b=two',
    ]);
  });

  test('other Request properties come from a real Request', async () => {
    expect(
      await roundTrip(
        (request) => [request.cache, request.credentials, request.redirect, request.mode],
        'GET',
        undefined,
        {},
      ),
    ).toEqual(['default', 'same-origin', 'follow', 'cors']);
  });

  test('a GET has a null body and reads as empty text', async () => {
    expect(
      await roundTrip(async (request) => [request.body, await request.text()], 'GET', undefined, {}),
    ).toEqual([null, '']);
  });

  test('url is exactly what the URL parser serializes, also in a copy, for a target it normalizes', async () => {
    expect(
      await roundTrip(
        (request) => [request.url, new URL(request.url).href, new Request(request).url],
        'GET',
        undefined,
        { REQUEST_URI: '/a/./b/../c d?q=1 2' },
      ),
    ).toEqual([
      'http://example.test:8080/a/c%20d?q=1%202',
      'http://example.test:8080/a/c%20d?q=1%202',
      'http://example.test:8080/a/c%20d?q=1%202',
    ]);
  });

  test('a GET is in every property the Request the constructor builds from the full init', async () => {
    const view = (r: Request) => [
      r.method,
      r.url,
      [...r.headers],
      r.mode,
      r.credentials,
      r.cache,
      r.redirect,
      r.referrer,
      r.referrerPolicy,
      r.integrity,
      r.keepalive,
      r.destination,
      r.body,
      r.bodyUsed,
    ];
    const [served, rebuilt] = (await roundTrip(
      (request) => [
        view(request),
        view(new Request(request.url, { method: 'GET', headers: new Headers(request.headers) })),
      ],
      'GET',
      undefined,
      { CONTENT_TYPE: 'text/plain', HTTP_X_A: 'one', HTTP_ACCEPT: '*/*' },
    )) as [unknown[], unknown[]];
    expect(served).toEqual(rebuilt);
    expect(served[2]).toEqual([
      ['accept', '*/*'],
      ['content-type', 'text/plain'],
      ['host', 'example.test:8080'],
      ['x-a', 'one'],
    ]);
  });

  test('a body of several records reads the same through text(), json() and arrayBuffer() as through its stream', async () => {
    const big = JSON.stringify(Array.from({ length: 30_000 }, (_, i) => `row ${i}`));
    const sizeOf = (text: string) => Buffer.byteLength(text);
    const readers: Array<(r: Request) => Promise<string>> = [
      (r) => r.text(),
      async (r) => JSON.stringify(await r.json()),
      async (r) => Buffer.from(await r.arrayBuffer()).toString(),
    ];
    for (const read of readers) {
      const [direct, streamed] = (await roundTrip(
        async (request) => {
          const copy = request.clone();
          return [await read(request), await new Response(copy.body).text()];
        },
        'POST',
        big,
        { CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(sizeOf(big)) },
      )) as [string, string];
      expect(sizeOf(big)).toBeGreaterThan(2 * 65535);
      expect(direct).toBe(streamed);
      expect(direct).toBe(big);
    }
  });

  test('once its body is read, the request is used for bodyUsed, a second read, new Request() and clone()', async () => {
    const attempt = async (run: () => unknown) => {
      try {
        await run();
        return 'ok';
      } catch (error) {
        return (error as Error).name;
      }
    };
    expect(
      await roundTrip(async (request) => {
        await request.arrayBuffer();
        return [
          request.bodyUsed,
          await attempt(() => request.text()),
          await attempt(() => new Request(request)),
          await attempt(() => request.clone()),
        ];
      }),
    ).toEqual([true, 'TypeError', 'TypeError', 'TypeError']);
  });

  test('a body partly read through its stream cannot then be read whole', async () => {
    expect(
      await roundTrip(async (request) => {
        await request.body?.getReader().read();
        try {
          await request.arrayBuffer();
          return 'read';
        } catch (error) {
          return (error as Error).name;
        }
      }),
    ).toBe('TypeError');
  });

  test('request.signal is one signal, the same on every read', async () => {
    expect(
      await roundTrip((request) => {
        const first = request.signal;
        return first === request.signal;
      }),
    ).toBe(true);
  });

  test('request.signal is an AbortSignal that has not fired', async () => {
    expect(
      await roundTrip((request) => [request.signal instanceof AbortSignal, request.signal.aborted]),
    ).toEqual([true, false]);
  });

  test('new Request(request, init) takes the overrides and keeps the rest', async () => {
    expect(
      await roundTrip(async (request) => {
        const copy = new Request(request, { method: 'PUT', headers: { 'x-extra': '1' } });
        return [
          copy.method,
          copy.url,
          copy.headers.get('x-extra'),
          copy.headers.get('content-type'),
          await copy.text(),
        ];
      }),
    ).toEqual(['PUT', 'http://example.test:8080/path?q=1', '1', null, 'a=1&b=two']);
  });

  test('fetch(request) sends it on, body included (a proxying handler)', async () => {
    const upstream = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => res.end(JSON.stringify([req.method, req.url, req.headers['content-type'], body])));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    try {
      expect(
        await roundTrip(async (request) => {
          const target = new URL(request.url);
          const proxied = new Request(`http://127.0.0.1:${port}${target.pathname}${target.search}`, request);
          return (await fetch(proxied)).json();
        }),
      ).toEqual(['POST', '/path?q=1', 'application/x-www-form-urlencoded', 'a=1&b=two']);
      expect(
        await roundTrip(
          async (request) => {
            const response = await fetch(request, {});
            return response.status;
          },
          'GET',
          undefined,
          { HTTP_HOST: `127.0.0.1:${port}` },
        ),
      ).toBe(200);
    } finally {
      upstream.close();
    }
  });

  test('structuredClone(request) fails as it does for a native Request', async () => {
    let nativeError = '';
    try {
      structuredClone(new Request('http://localhost/'));
    } catch (error) {
      nativeError = (error as Error).name;
    }
    expect(
      await roundTrip((request) => {
        try {
          structuredClone(request);
          return 'cloned';
        } catch (error) {
          return (error as Error).name;
        }
      }),
    ).toBe(nativeError || 'cloned');
  });

  test('util.inspect and Request.prototype checks see a Request', async () => {
    expect(
      await roundTrip((request) => [
        inspect(request).startsWith('Request'),
        Request.prototype.isPrototypeOf(request),
        request.constructor === Request || request instanceof Request,
      ]),
    ).toEqual([true, true, true]);
  });
});
