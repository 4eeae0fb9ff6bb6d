// The light Response standing in for the global one (what the framework adapters do by default): code
// written for the runtime's Response must not be able to tell, and the responder must write exactly the
// bytes it writes for the runtime's own Response.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { LightResponse, lightResponseIsGlobal, useLightResponseGlobally } from '../src/index';
import { params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const RuntimeResponse = globalThis.Response;
const releases: Array<() => void> = [];

function swap(): typeof Response {
  releases.push(useLightResponseGlobally());
  return globalThis.Response;
}

afterEach(() => {
  for (const release of releases.splice(0)) release();
});

const encoder = new TextEncoder();

// Every body type the Fetch standard accepts, each built afresh per call (a body can be used once).
const BODIES: Array<[string, () => BodyInit | null]> = [
  ['no body', () => null],
  ['string', () => 'héllo'],
  ['empty string', () => ''],
  ['ArrayBuffer', () => encoder.encode('bytes').buffer as ArrayBuffer],
  ['Uint8Array view', () => encoder.encode('..view..').subarray(2, 6)],
  ['DataView', () => new DataView(encoder.encode('data').buffer as ArrayBuffer)],
  ['Buffer', () => Buffer.from('buffer')],
  ['Blob', () => new Blob(['blob'], { type: 'text/x-blob' })],
  ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two' })],
  [
    'ReadableStream',
    () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(encoder.encode('streamed'));
          controller.close();
        },
      }),
  ],
];

describe('the global Response replaced', () => {
  test('is the light Response, and the runtime class comes back when the last holder releases', () => {
    const first = useLightResponseGlobally();
    const second = useLightResponseGlobally();
    expect(lightResponseIsGlobal()).toBe(true);
    expect(new Response('x')).toBeInstanceOf(LightResponse);
    first();
    first();
    expect(lightResponseIsGlobal()).toBe(true);
    second();
    expect(globalThis.Response).toBe(RuntimeResponse);
    expect(lightResponseIsGlobal()).toBe(false);
  });

  test('its instances are instanceof the runtime Response, and runtime responses are instanceof it', () => {
    const native = new RuntimeResponse('native');
    const Swapped = swap();
    const light = new Swapped('light');
    expect(light instanceof RuntimeResponse).toBe(true);
    expect(native instanceof Swapped).toBe(true);
    expect(RuntimeResponse.error() instanceof Swapped).toBe(true);
    expect({} instanceof Swapped).toBe(false);
    expect(new Request('http://localhost/') instanceof Swapped).toBe(false);
    expect(Object.prototype.toString.call(light)).toBe('[object Response]');
  });

  test('a subclass of it keeps the ordinary instanceof', () => {
    const Swapped = swap();
    class Mine extends Swapped {}
    expect(new Mine('x') instanceof Mine).toBe(true);
    expect(new Swapped('x') instanceof Mine).toBe(false);
    expect(new RuntimeResponse('x') instanceof Mine).toBe(false);
  });

  test('fetch() results pass instanceof Response', async () => {
    const upstream = createServer((_req, res) => res.end('upstream'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      const Swapped = swap();
      const { port } = upstream.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response instanceof Response).toBe(true);
      expect(response instanceof Swapped).toBe(true);
      expect(await response.text()).toBe('upstream');
    } finally {
      upstream.close();
    }
  });

  test.each(BODIES)('a %s body reads back as from the runtime Response', async (_name, body) => {
    const expected = new RuntimeResponse(body(), { status: 201, headers: { 'x-a': '1' } });
    const Swapped = swap();
    const actual = new Swapped(body(), { status: 201, headers: { 'x-a': '1' } });
    expect([...actual.headers]).toEqual([...expected.headers]);
    expect([actual.status, actual.ok, actual.bodyUsed]).toEqual([expected.status, expected.ok, false]);
    expect(Buffer.from(await actual.arrayBuffer())).toEqual(Buffer.from(await expected.arrayBuffer()));
  });

  test('keeps a byte body by reference, as the opt-in light Response does (documented)', async () => {
    const Swapped = swap();
    const bytes = encoder.encode('before');
    const response = new Swapped(bytes);
    bytes.set(encoder.encode('after!'));
    expect(await response.text()).toBe('after!');
  });

  test('json(), redirect() and error() behave as the runtime statics', async () => {
    const Swapped = swap();
    const pairs: Array<[Response, Response]> = [
      [Swapped.json({ a: 1 }, { status: 202 }), RuntimeResponse.json({ a: 1 }, { status: 202 })],
      [
        Swapped.redirect('http://localhost/next', 307),
        RuntimeResponse.redirect('http://localhost/next', 307),
      ],
      [Swapped.error(), RuntimeResponse.error()],
    ];
    for (const [actual, expected] of pairs) {
      expect([actual.status, actual.type, [...actual.headers]]).toEqual([
        expected.status,
        expected.type,
        [...expected.headers],
      ]);
      expect(await actual.text()).toBe(await expected.text());
    }
    expect(() => Swapped.redirect('http://localhost/', 200)).toThrow(RangeError);
  });

  test('rejects what the runtime Response rejects, with the same error class', () => {
    const Swapped = swap();
    const bad: Array<[BodyInit | null, ResponseInit]> = [
      ['x', { status: 99 }],
      ['x', { status: 204 }],
      ['x', { statusText: 'bad\n' }],
      ['x', { headers: { 'bad name': '1' } }],
    ];
    for (const [body, init] of bad) {
      let expected: unknown;
      try {
        new RuntimeResponse(body, init);
      } catch (error) {
        expected = (error as Error).constructor;
      }
      expect(expected).toBeDefined();
      expect(() => new Swapped(body, init)).toThrow(expected as ErrorConstructor);
    }
  });
});

describe('the responder writes the replaced global Response exactly as the runtime one', () => {
  async function stdoutOf(make: () => Response, method = 'GET'): Promise<Buffer> {
    const { path } = await servers.start(() => make());
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params(method, '/') });
    return (await client.response(1)).stdout;
  }

  const CASES: Array<[string, () => BodyInit | null, ResponseInit]> = [
    ...BODIES.filter(([name]) => name !== 'ReadableStream').map(
      ([name, body]) => [name, body, {}] as [string, () => BodyInit | null, ResponseInit],
    ),
    ['1 MiB of bytes', () => Buffer.alloc(1024 * 1024, 'x'), {}],
    [
      'headers given as a record, status and reason',
      () => 'x',
      { status: 404, statusText: 'Nope', headers: { 'X-B': '2', 'content-type': 'text/html', 'x-a': ' 1 ' } },
    ],
    [
      'repeated Set-Cookie pairs',
      () => 'x',
      {
        headers: [
          ['set-cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
        ],
      },
    ],
    ['a Headers object', () => 'x', { headers: new Headers({ 'x-h': 'v', 'content-type': 'a/b' }) }],
  ];

  test.each(CASES)('%s', async (_name, body, init) => {
    const expected = await stdoutOf(() => new RuntimeResponse(body(), init));
    swap();
    const actual = await stdoutOf(() => new Response(body(), init));
    expect(actual.toString('latin1')).toBe(expected.toString('latin1'));
  });

  test('a HEAD request gets the same head and no body', async () => {
    const expected = await stdoutOf(() => new RuntimeResponse('head me'), 'HEAD');
    swap();
    expect((await stdoutOf(() => new Response('head me'), 'HEAD')).toString('latin1')).toBe(
      expected.toString('latin1'),
    );
  });
});
