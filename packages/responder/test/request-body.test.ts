// STDIN as the Request body: streaming, CONTENT_LENGTH checks, limits, unread bodies on keep-alive
// connections, and backpressure toward the web server.
import { once } from 'node:events';
import { encodeStreamRecords, ProtocolError, RecordType } from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { RequestLimitError } from '../src/index';
import { params } from './helpers/fcgi-client';
import { deferred, useServers } from './helpers/server';

const servers = useServers();

const echoLength = async (request: Request) => {
  const body = new Uint8Array(await request.arrayBuffer());
  return Response.json({ length: body.length, sum: body.reduce((a, b) => (a + b) % 65_521, 0) });
};

function checksum(bytes: Uint8Array): number {
  return bytes.reduce((a, b) => (a + b) % 65_521, 0);
}

describe('the body stream', () => {
  test('a body larger than 64 KiB arrives whole through request.body', async () => {
    const body = Buffer.alloc(1_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
    const { path } = await servers.start(async (request) => {
      let length = 0;
      let sum = 0;
      for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
        length += chunk.length;
        sum = (sum + checksum(chunk)) % 65_521;
      }
      return Response.json({ length, sum });
    });
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/', { CONTENT_LENGTH: String(body.length) }), body });
    const result = JSON.parse((await client.response(1)).body.toString());
    expect(result).toEqual({ length: body.length, sum: checksum(body) });
  });

  test('the handler starts before the body has arrived and reads it as it streams in', async () => {
    const firstChunk = deferred<string>();
    const { path } = await servers.start(async (request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      firstChunk.resolve(Buffer.from(first.value!).toString());
      let rest = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += Buffer.from(value).toString();
      }
      return new Response(rest);
    });
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/'), openStdin: true });
    client.sendStdin(1, 'first');
    expect(await firstChunk.promise).toBe('first');
    client.sendStdin(1, 'second');
    client.endStdin(1);
    expect((await client.response(1)).body.toString()).toBe('second');
  });

  test('GET and HEAD requests have a null body', async () => {
    const { path } = await servers.start((request) => new Response(String(request.body)));
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('GET', '/'), body: 'ignored' });
    expect((await client.response(1)).body.toString()).toBe('null');
  });

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['-1 (chunked upload through caddy)', '-1'],
  ])('CONTENT_LENGTH %s means unknown length and the body is still accepted', async (_name, length) => {
    const { path } = await servers.start(echoLength);
    const client = await servers.connect(path);
    const extra: Record<string, string> = length === undefined ? {} : { CONTENT_LENGTH: length };
    client.begin({ params: params('POST', '/', extra), body: Buffer.alloc(100_000, 3) });
    const result = await client.response(1);
    expect(JSON.parse(result.body.toString()).length).toBe(100_000);
    expect(result.status).toBe(200);
  });

  /** A server whose handler reads the whole body and reports the error reading it failed with. */
  async function serveReadingBody() {
    const seen = deferred<unknown>();
    const { path } = await servers.start(async (request) => {
      try {
        await request.text();
        return new Response('read');
      } catch (error) {
        seen.resolve(error);
        return new Response('mismatch', { status: 400 });
      }
    });
    return { path, seen };
  }

  test('a body shorter than CONTENT_LENGTH errors the body stream with CONTENT_LENGTH_MISMATCH', async () => {
    const { path, seen } = await serveReadingBody();
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/', { CONTENT_LENGTH: '10' }), body: 'short' });
    expect((await client.response(1)).status).toBe(400);
    const error = await seen.promise;
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('CONTENT_LENGTH_MISMATCH');
    expect(String(error)).toMatch(/received 5 of 10/);
  });

  test('a body longer than CONTENT_LENGTH errors the body stream with CONTENT_LENGTH_MISMATCH', async () => {
    const { path, seen } = await serveReadingBody();
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/', { CONTENT_LENGTH: '3' }), body: 'much longer' });
    expect((await client.response(1)).status).toBe(400);
    expect(await seen.promise).toMatchObject({ name: 'ProtocolError', code: 'CONTENT_LENGTH_MISMATCH' });
  });
});

describe('maxBodyBytes', () => {
  test('a declared CONTENT_LENGTH above the limit gets 413 without calling the handler', async () => {
    let called = false;
    const { path } = await servers.start(
      () => {
        called = true;
        return new Response('no');
      },
      // Without multiplexing the rest of the body would be read as the next request: the connection closes.
      { maxBodyBytes: 1000, multiplex: false },
    );
    const client = await servers.connect(path);
    client.begin({
      keepConn: true,
      params: params('POST', '/', { CONTENT_LENGTH: '5000' }),
      openStdin: true,
    });
    const result = await client.response(1);
    expect(result.status).toBe(413);
    expect(called).toBe(false);
    expect(servers.errors[0]).toMatchObject({
      name: 'RequestLimitError',
      code: 'BODY_TOO_LARGE',
      limit: 1000,
    });
    await client.waitClosed();
  });

  test('a body of unknown length that crosses the limit gets 413 while the response has not started', async () => {
    const aborted = deferred<unknown>();
    const { path } = await servers.start(
      async (request, info) => {
        info.signal.addEventListener('abort', () => aborted.resolve(info.signal.reason));
        await request.arrayBuffer().catch(() => {});
        return new Response('never sent');
      },
      { maxBodyBytes: 100_000 },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/'), body: Buffer.alloc(150_000) });
    const result = await client.response(1);
    expect(result.status).toBe(413);
    expect(result.body.toString()).not.toContain('never sent');
    expect(await aborted.promise).toBeInstanceOf(RequestLimitError);
    expect(await aborted.promise).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  test('crossing the limit after the response started aborts it with appStatus Error and closes', async () => {
    const { path } = await servers.start(
      (request) => {
        const reader = request.body!.getReader();
        return new Response(
          new ReadableStream({
            async pull(controller) {
              const { done, value } = await reader.read();
              if (done) controller.close();
              else controller.enqueue(value);
            },
          }),
        );
      },
      { maxBodyBytes: 100_000, multiplex: false },
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('POST', '/'), openStdin: true });
    client.sendStdin(1, Buffer.alloc(60_000, 1));
    await client.waitFor((records) => records.some((r) => r.type === RecordType.Stdout));
    client.sendStdin(1, Buffer.alloc(60_000, 2));
    const result = await client.response(1);
    expect(result.status).toBe(200);
    expect(result.appStatus).toBe(1);
    expect(result.records.filter((r) => r.type === RecordType.EndRequest)).toHaveLength(1);
    await client.waitClosed();
  });
});

describe('unread bodies and keep-alive', () => {
  test('a handler that ignores its POST body does not freeze the keep-alive connection', async () => {
    const { path } = await servers.start((request) => new Response(`ignored ${request.method}`));
    const client = await servers.connect(path);
    for (let i = 0; i < 3; i++) {
      client.begin({ keepConn: true, params: params('POST', '/'), body: Buffer.alloc(300_000, i) });
      expect((await client.response(1)).body.toString()).toBe('ignored POST');
    }
    expect(client.isOpen).toBe(true);
  });

  test('an unread body that keeps coming after the response is cut off by closing the connection', async () => {
    const { path } = await servers.start(() => new Response('early answer'));
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('POST', '/'), openStdin: true });
    const result = await client.response(1);
    expect(result.body.toString()).toBe('early answer');
    // Keep streaming STDIN for the finished request: after the drain budget the responder hangs up.
    const chunk = Buffer.alloc(65_535);
    while (client.isOpen) {
      if (!client.socket.write(Buffer.concat(encodeStreamRecords(RecordType.Stdin, 1, chunk)))) {
        await Promise.race([once(client.socket, 'drain'), client.closed]);
      }
    }
    await client.waitClosed();
  });
});

describe('backpressure toward the web server', () => {
  test('a handler that does not read makes the responder stop reading the socket (maxBufferedBytes)', async () => {
    const startReading = deferred();
    const { path } = await servers.start(
      async (request) => {
        await startReading.promise;
        return echoLength(request);
      },
      { maxBufferedBytes: 64 * 1024 },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/'), openStdin: true });
    const chunk = Buffer.alloc(65_535, 5);
    let sent = 0;
    // Keep writing while the socket drains; a paused reader stops the drains after a bounded amount.
    for (;;) {
      sent += chunk.length;
      if (client.socket.write(Buffer.concat(encodeStreamRecords(RecordType.Stdin, 1, chunk)))) continue;
      const drained = await Promise.race([
        once(client.socket, 'drain').then(() => true),
        new Promise((resolve) => setTimeout(resolve, 500, false)),
      ]);
      if (!drained) break;
      expect(sent).toBeLessThan(32 * 1024 * 1024);
    }
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    startReading.resolve();
    client.endStdin(1);
    const result = JSON.parse((await client.response(1)).body.toString());
    expect(result.length).toBe(sent);
  });

  test('a slow reader of the response makes the body stream pause (write waits for drain)', async () => {
    let produced = 0;
    const chunk = new Uint8Array(64 * 1024);
    const { path } = await servers.start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              produced += chunk.length;
              controller.enqueue(chunk);
              if (produced >= 64 * 1024 * 1024) controller.close();
            },
          }),
        ),
    );
    const client = await servers.connect(path);
    client.socket.pause();
    client.begin({ keepConn: true });
    // Give the producer every chance to run ahead while nobody reads.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(produced).toBeLessThan(16 * 1024 * 1024);
    client.socket.resume();
    const result = await client.response(1);
    expect(result.body.length).toBe(64 * 1024 * 1024);
  });
});
