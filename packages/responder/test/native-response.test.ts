// A global Response is written the same way whichever path reads it: the body-source fast path (where
// the runtime exposes it, Node 20 and 22) or the public stream (everywhere else). Each body type the
// Fetch standard allows must give the same bytes both ways, with a Content-Length whenever the body is
// complete in memory, whatever its size.
import { afterEach, describe, expect, test } from 'vitest';
import { disableNativeBodySource, nativeBodySourceAvailable } from '../src/native-body-source';
import { type FcgiResult, params } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const nodeMajor = Number(process.versions.node.split('.')[0]);
const MIB = 1024 * 1024;

afterEach(() => disableNativeBodySource(false));

async function answer(makeResponse: () => Response): Promise<FcgiResult> {
  const { path } = await servers.start(() => makeResponse());
  const client = await servers.connect(path);
  client.begin({ keepConn: true, params: params('GET', '/') });
  return client.response(1);
}

/** The CGI head lines and the body; a multipart boundary (random per Response) is normalised. */
function output(result: FcgiResult): { head: string[]; body: Buffer; rawLength: number } {
  const text = result.stdout.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const boundary = /boundary=(\S+)/.exec(text.slice(0, split))?.[1];
  const normalise = (s: string) => (boundary ? s.split(boundary).join('BOUNDARY') : s);
  return {
    head: normalise(text.slice(0, split)).split('\r\n'),
    body: Buffer.from(normalise(text.slice(split + 4)), 'latin1'),
    rawLength: text.length - split - 4,
  };
}

function contentLength(head: string[]): number | undefined {
  const line = head.find((l) => l.toLowerCase().startsWith('content-length:'));
  return line === undefined ? undefined : Number(line.split(':')[1]);
}

function formData(): FormData {
  const form = new FormData();
  form.set('name', 'value');
  form.set('file', new Blob(['file contents']), 'a.txt');
  return form;
}

const bodies: Array<[string, () => Response, number]> = [
  ['a string', () => new Response('Hello, World!'), 13],
  ['a 1 MiB string', () => new Response('x'.repeat(MIB)), MIB],
  ['bytes', () => new Response(new Uint8Array([1, 2, 3, 250])), 4],
  ['1 MiB of bytes', () => new Response(new Uint8Array(MIB).fill(7)), MIB],
  ['an ArrayBuffer', () => new Response(new ArrayBuffer(100_000)), 100_000],
  ['a Blob', () => new Response(new Blob(['blob body'], { type: 'text/x-blob' })), 9],
  ['a 1 MiB Blob', () => new Response(new Blob([new Uint8Array(MIB)])), MIB],
  ['URLSearchParams', () => new Response(new URLSearchParams({ a: '1', b: 'two words' })), 15],
  ['Response.json()', () => Response.json({ ok: [1, 2] }), 12],
  [
    'a stream that ends at once',
    () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('streamed'));
            controller.close();
          },
        }),
      ),
    8,
  ],
];

test('the body-source fast path is found exactly where undici keeps it in a symbol slot (Node 20 and 22)', () => {
  expect(nativeBodySourceAvailable()).toBe(nodeMajor < 24);
});

describe.each(bodies)('a global Response with %s', (_name, make, length) => {
  test('carries a Content-Length and the whole body', async () => {
    const { head, body } = output(await answer(make));
    expect(contentLength(head)).toBe(length);
    expect(body.length).toBe(length);
  });

  test('gives the same bytes through the stream as through the fast path, in the same records', async () => {
    const fastResult = await answer(make);
    disableNativeBodySource(true);
    const streamedResult = await answer(make);
    const fast = output(fastResult);
    const streamed = output(streamedResult);
    expect(streamed.head).toEqual(fast.head);
    expect(streamed.body.equals(fast.body)).toBe(true);
    const sizes = (result: FcgiResult) =>
      result.records.map((record) => [record.type, record.content.length]);
    if (length <= 16 * 1024) expect(sizes(streamedResult)).toEqual(sizes(fastResult));
  });
});

describe('a global Response with a FormData body', () => {
  test('carries a Content-Length and the same multipart bytes both ways', async () => {
    const fast = output(await answer(() => new Response(formData())));
    disableNativeBodySource(true);
    const streamed = output(await answer(() => new Response(formData())));
    expect(contentLength(fast.head)).toBe(fast.rawLength);
    expect(streamed.head).toEqual(fast.head);
    expect(streamed.body.equals(fast.body)).toBe(true);
    expect(fast.body.toString()).toContain('file contents');
  });
});

test('a stream still producing is sent as it comes, without a Content-Length', async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const { path } = await servers.start(
    () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            controller = c;
            c.enqueue(new TextEncoder().encode('data: 1\n\n'));
          },
        }),
      ),
  );
  const client = await servers.connect(path);
  client.begin({ keepConn: true, params: params('GET', '/') });
  const pending = client.response(1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.enqueue(new TextEncoder().encode('data: 2\n\n'));
  controller.close();
  const { head, body } = output(await pending);
  expect(contentLength(head)).toBeUndefined();
  expect(body.toString()).toBe('data: 1\n\ndata: 2\n\n');
});
