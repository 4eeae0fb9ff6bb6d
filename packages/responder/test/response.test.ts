// Response → CGI output: head order, cookies, body-less statuses, HEAD, streaming, and every way a
// handler can fail. Every path must end the request with exactly one END_REQUEST.
import { Duplex } from 'node:stream';
import { RecordDecoder, RecordType } from '@fcgi/protocol';
import { describe, expect, test, vi } from 'vitest';
import { AppStatus, HandlerError, serveConnection } from '../src/index';
import { nativeBodySourceAvailable } from '../src/native-body-source';
import { type FcgiResult, params, requestRecords, toResult } from './helpers/fcgi-client';
import { deferred, useServers } from './helpers/server';

const servers = useServers();

function endRequests(result: FcgiResult): number {
  return result.records.filter((r) => r.type === RecordType.EndRequest).length;
}

async function once(handler: Parameters<typeof servers.start>[0], method = 'GET', options = {}) {
  const { path } = await servers.start(handler, options);
  const client = await servers.connect(path);
  client.begin({ keepConn: true, params: params(method, '/') });
  return client.response(1);
}

describe('the response head', () => {
  test('puts Status last, after Location, and every Set-Cookie on its own line', async () => {
    const result = await once(() => {
      const headers = new Headers({ location: '/elsewhere' });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/; HttpOnly');
      return new Response('moved', { status: 301, headers });
    });
    const lines = result.stdout.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
    expect(lines.at(-1)).toBe('Status: 301 Moved Permanently');
    expect(lines.filter((l) => l.startsWith('set-cookie: '))).toEqual([
      'set-cookie: a=1; Path=/',
      'set-cookie: b=2; Path=/; HttpOnly',
    ]);
    expect(lines).toContain('location: /elsewhere');
  });

  test("hop-by-hop headers (and those Connection names) are dropped: framing is the web server's", async () => {
    const result = await once(
      () =>
        new Response('x', {
          headers: {
            connection: 'keep-alive, x-private',
            'keep-alive': 'timeout=5',
            'transfer-encoding': 'chunked',
            'x-private': 'hop',
            'content-type': 'text/event-stream',
          },
        }),
    );
    expect(result.headers.map(([name]) => name.toLowerCase()).sort()).toEqual([
      'content-length',
      'content-type',
    ]);
    expect(result.body.toString()).toBe('x');
  });

  test('a custom statusText is sent as the reason phrase', async () => {
    const result = await once(() => new Response('x', { status: 299, statusText: 'Fine Enough' }));
    expect(result.stdout.toString()).toContain('Status: 299 Fine Enough\r\n');
  });

  test('a complete small body gets a Content-Length and goes out in one socket write', async () => {
    const { path } = await servers.start(() => new Response('Hello, World!'));
    const client = await servers.connect(path);
    const chunks: Buffer[] = [];
    client.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.begin({ keepConn: true });
    const result = await client.response(1);
    expect(result.header('content-length')).toBe('13');
    expect(result.body.toString()).toBe('Hello, World!');
    // head + STDOUT + empty STDOUT + END_REQUEST arrived as one chunk
    expect(chunks).toHaveLength(1);
  });

  test('a null body gets Content-Length: 0', async () => {
    const result = await once(() => new Response(null, { status: 418 }));
    expect(result.status).toBe(418);
    expect(result.header('content-length')).toBe('0');
    expect(result.body.length).toBe(0);
  });

  test.each([204, 304])('status %i is sent without a body or a Content-Length', async (status) => {
    const result = await once(() => new Response(null, { status }));
    expect(result.status).toBe(status);
    expect(result.body.length).toBe(0);
    expect(result.header('content-length')).toBeUndefined();
  });

  test('HEAD sends the GET headers but no body bytes, and does not pump the body stream', async () => {
    let pulls = 0;
    const result = await once(() => {
      const body = new ReadableStream({
        pull(controller) {
          pulls++;
          controller.enqueue(new Uint8Array(1024));
        },
      });
      return new Response(body, { headers: { 'content-length': '13', 'content-type': 'text/plain' } });
    }, 'HEAD');
    expect(result.status).toBe(200);
    expect(result.header('content-length')).toBe('13');
    expect(result.body.length).toBe(0);
    expect(pulls).toBeLessThanOrEqual(1);
  });

  test('HEAD gets the Content-Length GET would get for a complete body, and no body bytes', async () => {
    const { path } = await servers.start(() => new Response('Hello, World!'));
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('GET', '/') });
    const get = await client.response(1);
    client.begin({ keepConn: true, params: params('HEAD', '/') });
    const head = await client.response(1);
    expect(get.header('content-length')).toBe('13');
    expect(head.headers).toEqual(get.headers);
    expect(head.body.length).toBe(0);
  });

  test('a header value with bytes above 0x7F is passed through as latin1', async () => {
    const result = await once(() => new Response('x', { headers: { 'x-name': 'caf\u00e9' } }));
    expect(result.stdout.includes(Buffer.from('x-name: caf\xe9', 'latin1'))).toBe(true);
  });
});

describe('complete bodies', () => {
  test.each([
    ['bytes', () => new Response(Uint8Array.of(104, 105)), 'hi'],
    ['a string', () => new Response('h\u00e9'), 'h\u00e9'],
    ['URLSearchParams', () => new Response(new URLSearchParams({ a: '1' })), 'a=1'],
    ['Response.json()', () => Response.json({ a: 1 }), '{"a":1}'],
    ['a clone', () => new Response('twin').clone(), 'twin'],
    ['a Blob', () => new Response(new Blob(['blob'])), 'blob'],
  ])('a body from %s is sent whole with its Content-Length', async (_name, make, text) => {
    const result = await once(make);
    expect(result.body.toString('utf8')).toBe(text);
    expect(result.header('content-length')).toBe(String(Buffer.byteLength(text)));
  });

  test('a Response whose body was already read is a HandlerError and a 500', async () => {
    const result = await once(async () => {
      const response = new Response('used');
      await response.text();
      return response;
    });
    expect(result.status).toBe(500);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
  });

  /** A transport that records every write, served a hello handler. */
  function helloTransport(): { transport: Duplex; writes: Buffer[] } {
    const writes: Buffer[] = [];
    const transport = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk);
        callback();
      },
    });
    serveConnection(transport, () => new Response('Hello, World!'));
    return { transport, writes };
  }

  function expectOneCompleteWrite(writes: Buffer[]): void {
    expect(writes).toHaveLength(1);
    const records = new RecordDecoder().push(writes[0]!);
    expect(records.at(-1)?.type).toBe(RecordType.EndRequest);
    expect(toResult(records).body.toString()).toBe('Hello, World!');
  }

  test.runIf(nativeBodySourceAvailable())(
    'where the body-source fast path exists, a synchronous string Response is written synchronously, in one write',
    async () => {
      const { transport, writes } = helloTransport();
      // Let the transport start flowing, so that push() delivers its bytes synchronously.
      await new Promise((resolve) => setImmediate(resolve));
      transport.push(Buffer.concat(requestRecords({ keepConn: true })));
      // No await: everything happened inside push().
      expectOneCompleteWrite(writes);
      transport.destroy();
    },
  );

  test('a string Response goes out in one write, END_REQUEST included', async () => {
    const { transport, writes } = helloTransport();
    transport.push(Buffer.concat(requestRecords({ keepConn: true })));
    await vi.waitUntil(() => writes.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expectOneCompleteWrite(writes);
    transport.destroy();
  });
});

describe('streamed bodies', () => {
  test('a stream with nothing to send yet gets its head sent at once (an SSE stream before its first event)', async () => {
    const { path } = await servers.start(
      () =>
        new Response(new ReadableStream<Uint8Array>({ start() {} }), {
          headers: { 'content-type': 'text/event-stream' },
        }),
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    // The stream never produces: only a head sent without waiting for a chunk can arrive.
    await client.waitFor((records) =>
      records.some((r) => r.type === RecordType.Stdout && r.content.length > 0),
    );
    const head = Buffer.concat(client.records.map((r) => r.content)).toString();
    expect(head).toContain('content-type: text/event-stream');
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  test('each chunk is written as soon as the handler produces it (SSE)', async () => {
    const started = deferred<ReadableStreamDefaultController<Uint8Array>>();
    const { path } = await servers.start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              started.resolve(c);
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    const stdoutText = () =>
      Buffer.concat(
        client.records.filter((r) => r.type === RecordType.Stdout).map((r) => r.content),
      ).toString();
    const controller = await started.promise;
    for (let i = 1; i <= 3; i++) {
      controller.enqueue(Buffer.from(`data: event ${i}\n\n`));
      await client.waitFor(() => stdoutText().includes(`data: event ${i}\n\n`));
    }
    expect(client.records.some((r) => r.type === RecordType.EndRequest)).toBe(false);
    controller.close();
    const result = await client.response(1);
    expect(result.body.toString()).toBe('data: event 1\n\ndata: event 2\n\ndata: event 3\n\n');
    expect(result.header('content-length')).toBeUndefined();
  });

  test('a body larger than 64 KiB is split into records of at most 65535 bytes', async () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const result = await once(() => new Response(body));
    expect(result.body.equals(body)).toBe(true);
    for (const record of result.records) expect(record.content.length).toBeLessThanOrEqual(65_535);
  });

  test('string chunks from a stream are encoded as UTF-8', async () => {
    const result = await once(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue('h\u00e9' as unknown as Uint8Array);
              c.close();
            },
          }),
        ),
    );
    expect(result.body.toString('utf8')).toBe('h\u00e9');
  });
});

describe('handler failures always end the request', () => {
  test('a handler that throws gets a 500, a HandlerError with the cause, and one END_REQUEST', async () => {
    const boom = new Error('boom');
    const result = await once(() => {
      throw boom;
    });
    expect(result.status).toBe(500);
    expect(result.appStatus).toBe(AppStatus.Error);
    expect(endRequests(result)).toBe(1);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
    expect(servers.errors[0]?.cause).toBe(boom);
  });

  test('a handler that rejects gets a 500', async () => {
    const result = await once(async () => {
      throw new Error('async boom');
    });
    expect(result.status).toBe(500);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
  });

  test.each([
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a plain object', { status: 200 }],
  ])('a handler returning %s gets a 500 and a HandlerError', async (_name, value) => {
    const result = await once(() => value as unknown as Response);
    expect(result.status).toBe(500);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
    expect(servers.errors[0]?.message).toMatch(/not a Response/);
  });

  test('a response header that cannot be sent (CR/LF in a value via a plain header list) gets a 500', async () => {
    const fake = {
      status: 200,
      statusText: '',
      body: null,
      headers: { forEach: (cb: (v: string, n: string) => void) => cb('a\r\nb', 'x-bad'), has: () => false },
    };
    const result = await once(() => fake as unknown as Response);
    expect(result.status).toBe(500);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
  });

  test('a body stream that errors before the first chunk gets a 500', async () => {
    const result = await once(
      () =>
        new Response(
          new ReadableStream({
            pull(c) {
              c.error(new Error('no data'));
            },
          }),
        ),
    );
    expect(result.status).toBe(500);
    expect(result.appStatus).toBe(AppStatus.Error);
    expect(endRequests(result)).toBe(1);
  });

  test('a body stream that errors midway ends the request with appStatus Error after the bytes sent', async () => {
    const result = await once(() => {
      let sent = false;
      return new Response(
        new ReadableStream({
          async pull(c) {
            if (!sent) {
              sent = true;
              c.enqueue(Buffer.from('partial'));
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
            c.error(new Error('midway'));
          },
        }),
      );
    });
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('partial');
    expect(result.appStatus).toBe(AppStatus.Error);
    expect(endRequests(result)).toBe(1);
    expect(result.records.at(-1)?.type).toBe(RecordType.EndRequest);
    expect(servers.errors[0]).toBeInstanceOf(HandlerError);
  });

  test('onError receives the request and its info', async () => {
    const seen = deferred<unknown[]>();
    await once(
      () => {
        throw new Error('x');
      },
      'GET',
      {
        onError: (_error: Error, context: { request?: Request; info?: { requestId: number } }) => {
          seen.resolve([context.request instanceof Request, context.info?.requestId]);
        },
      },
    );
    expect(await seen.promise).toEqual([true, 1]);
  });

  test('onError returning a Response sends it', async () => {
    const result = await once(
      () => {
        throw new Error('x');
      },
      'GET',
      { onError: () => new Response('custom', { status: 502 }) },
    );
    expect(result.status).toBe(502);
    expect(result.body.toString()).toBe('custom');
  });

  test('onError returning {response, appStatus} uses both', async () => {
    const result = await once(
      () => {
        throw new Error('x');
      },
      'GET',
      { onError: async () => ({ response: new Response('teapot', { status: 418 }), appStatus: 77 }) },
    );
    expect(result.status).toBe(418);
    expect(result.appStatus).toBe(77);
  });

  test('onError that throws still ends the request with the default 500', async () => {
    const result = await once(
      () => {
        throw new Error('x');
      },
      'GET',
      {
        onError: () => {
          throw new Error('hook broke');
        },
      },
    );
    expect(result.status).toBe(500);
    expect(endRequests(result)).toBe(1);
  });

  test('without verboseErrors nothing goes to STDERR', async () => {
    const result = await once(() => {
      throw new Error('secret detail');
    });
    expect(result.records.some((r) => r.type === RecordType.Stderr)).toBe(false);
    expect(result.stdout.toString()).not.toContain('secret detail');
  });

  test('verboseErrors sends the error text on STDERR (never in the body)', async () => {
    const result = await once(
      () => {
        throw new Error('secret detail');
      },
      'GET',
      { verboseErrors: true },
    );
    expect(result.stderr).toContain('secret detail');
    expect(result.stdout.toString()).not.toContain('secret detail');
    expect(result.status).toBe(500);
  });

  test('a server keeps serving after each kind of failure', async () => {
    let mode = 0;
    const { path } = await servers.start(() => {
      mode++;
      if (mode === 1) throw new Error('one');
      if (mode === 2) return 42 as unknown as Response;
      return new Response('fine');
    });
    const client = await servers.connect(path);
    for (const expected of [500, 500, 200]) {
      client.begin({ keepConn: true });
      expect((await client.response(1)).status).toBe(expected);
    }
  });

  test('a handler still running when the response is written late does not write twice', async () => {
    const release = deferred();
    const { path } = await servers.start(
      async () => {
        await release.promise;
        return new Response('late');
      },
      { handlerTimeout: 50 },
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    const result = await client.response(1);
    expect(result.status).toBe(503);
    release.resolve();
    client.begin({ keepConn: true });
    const next = await client.response(1);
    expect(next.body.toString()).toBe('late');
    expect(endRequests(next)).toBe(1);
  });
});
