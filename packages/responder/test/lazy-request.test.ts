// The Request a handler receives is built lazily but must behave like a real one everywhere a
// framework might look.
import { describe, expect, test } from 'vitest';
import { params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();

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

describe('the lazy Request', () => {
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

  test('request.signal is an AbortSignal that has not fired', async () => {
    expect(
      await roundTrip((request) => [request.signal instanceof AbortSignal, request.signal.aborted]),
    ).toEqual([true, false]);
  });
});
