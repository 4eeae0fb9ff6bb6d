// The light Response is a fast path for the global one: whatever a handler builds with it must reach
// the web server as the very bytes the global Response with the same body and init produces, head and
// body, for GET and HEAD alike. Each row below is built twice, once with each class.
import { describe, expect, test } from 'vitest';
import { LightResponse } from '../src/index';
import { type FcgiResult, params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const KIB = 1024;

type ResponseClass = typeof Response;
const GlobalResponse: ResponseClass = globalThis.Response;
const Light = LightResponse as unknown as ResponseClass;

/** A body and init, built fresh for each class (a body can be read only once). */
const cases: Array<[string, (R: ResponseClass) => Response]> = [
  ['a string', (R) => new R('Hello, World!')],
  ['an empty string', (R) => new R('')],
  ['no body', (R) => new R(null)],
  ['a non-ASCII string', (R) => new R('grüße, 世界 ✓')],
  ['a 200 KiB string', (R) => new R('y'.repeat(200 * KIB))],
  ['bytes', (R) => new R(new Uint8Array([0, 1, 2, 253, 254, 255]))],
  ['100 KiB of bytes', (R) => new R(new Uint8Array(100 * KIB).fill(9))],
  ['an ArrayBuffer', (R) => new R(new Uint8Array([104, 105]).buffer)],
  ['a DataView', (R) => new R(new DataView(new Uint8Array([1, 2, 3]).buffer))],
  ['a status and reason', (R) => new R('gone', { status: 410, statusText: 'Gone Away' })],
  ['201 with a Location', (R) => new R('made', { status: 201, headers: { Location: '/things/1' } })],
  ['204 with no body', (R) => new R(null, { status: 204 })],
  ['304 with an ETag', (R) => new R(null, { status: 304, headers: { ETag: '"abc"' } })],
  ['an explicit content type', (R) => new R('{"a":1}', { headers: { 'Content-Type': 'application/json' } })],
  [
    'a Headers object with repeated Set-Cookie',
    (R) => {
      const headers = new Headers([
        ['Set-Cookie', 'a=1; Path=/'],
        ['Set-Cookie', 'b=2; HttpOnly'],
        ['X-Multi', 'one'],
      ]);
      headers.append('X-Multi', 'two');
      return new R('cookies', { headers });
    },
  ],
  [
    'header pairs with mixed case and padding',
    (R) =>
      new R('pairs', {
        headers: [
          ['X-Trimmed', '  padded value  '],
          ['cache-control', 'no-store'],
        ],
      }),
  ],
  [
    'hop-by-hop headers the responder drops',
    (R) => new R('hop', { headers: { Connection: 'close', 'Keep-Alive': '5' } }),
  ],
  ['a Content-Length the handler set itself', (R) => new R('12345', { headers: { 'Content-Length': '5' } })],
  ['Response.json()', (R) => R.json({ ok: [1, 2, 3], text: 'ü' })],
  [
    'Response.json() with a status and headers',
    (R) => R.json({ error: 'no' }, { status: 422, headers: { 'X-Why': 'bad' } }),
  ],
  ['Response.redirect()', (R) => R.redirect('https://example.test/elsewhere', 307)],
];

async function answer(make: () => Response, method: string): Promise<FcgiResult> {
  const { path } = await servers.start(() => make());
  const client = await servers.connect(path);
  client.begin({ keepConn: true, params: params(method, '/') });
  return client.response(1);
}

describe.each(['GET', 'HEAD'])('%s: the light Response sends the global Response bytes', (method) => {
  test.each(cases)('with %s', async (_name, make) => {
    const viaGlobal = await answer(() => make(GlobalResponse), method);
    const viaLight = await answer(() => make(Light), method);
    expect(viaLight.stdout.toString('latin1')).toBe(viaGlobal.stdout.toString('latin1'));
    expect(viaLight.appStatus).toBe(viaGlobal.appStatus);
    expect(viaLight.protocolStatus).toBe(viaGlobal.protocolStatus);
  });
});
