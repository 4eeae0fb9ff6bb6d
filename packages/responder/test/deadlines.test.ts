// Deadlines for every phase of a request: its params (the request head), its body while the handler
// waits for it, and the output while the web server does not take it. Each ends what it waits for
// with a clear answer, and none of them applies to a peer that keeps up.
import {
  encodeBeginRequest,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { params } from './helpers/fcgi-client';
import { deferred, useServers } from './helpers/server';

const servers = useServers();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The encoded PARAMS content of a typical request, to trickle byte by byte. */
function paramsBytes(method: string, uri: string, extra: Record<string, string> = {}): Buffer {
  return Buffer.from(encodeParams(params(method, uri, extra)));
}

/** A PARAMS record holding one byte of the stream (each byte of a trickle is its own record). */
function oneByteRecord(id: number, byte: number): Uint8Array {
  const record = Buffer.alloc(9);
  record.set([1, RecordType.Params, id >> 8, id & 0xff, 0, 1, 0, 0, byte]);
  return record;
}

describe('paramsTimeout: the request head', () => {
  test('params that trickle in for longer than paramsTimeout are answered 408', async () => {
    const { path } = await servers.start(() => new Response('never'), { paramsTimeout: 300 });
    const client = await servers.connect(path);
    client.write(encodeBeginRequest(1, Role.Responder, 1));
    const head = paramsBytes('GET', '/slow');
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < head.length && client.isOpen) client.write(oneByteRecord(1, head[sent++] as number));
    }, 50);
    try {
      const result = await client.response(1);
      expect(result.status).toBe(408);
    } finally {
      clearInterval(trickle);
    }
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'RequestLimitError', code: 'PARAMS_TIMEOUT', limit: 300 }),
    );
  });

  test('a trickled request head on one id does not end the other requests of its connection', async () => {
    const { path } = await servers.start(() => new Response('ok'), { paramsTimeout: 200 });
    const client = await servers.connect(path);
    client.write(encodeBeginRequest(1, Role.Responder, 1));
    client.write(oneByteRecord(1, paramsBytes('GET', '/slow')[0] as number));
    expect((await client.response(1)).status).toBe(408);
    client.begin({ id: 2, keepConn: true, params: params('GET', '/fine') });
    expect((await client.response(2)).body.toString()).toBe('ok');
  });

  test('params that arrive within paramsTimeout are served however slowly they came', async () => {
    const { path } = await servers.start(() => new Response('ok'), { paramsTimeout: 2000 });
    const client = await servers.connect(path);
    const head = paramsBytes('GET', '/');
    const half = Math.floor(head.length / 2);
    client.write([
      encodeBeginRequest(1, Role.Responder, 0),
      encodeRecord(RecordType.Params, 1, head.subarray(0, half)),
    ]);
    await sleep(300);
    client.write([
      encodeRecord(RecordType.Params, 1, head.subarray(half)),
      encodeStreamEnd(RecordType.Params, 1),
      encodeStreamEnd(RecordType.Stdin, 1),
    ]);
    expect((await client.response(1)).body.toString()).toBe('ok');
  });
});

describe('bodyTimeout: a body that stops arriving while the handler waits for it', () => {
  test('a body that stalls for longer than bodyTimeout is answered 408', async () => {
    const { path } = await servers.start(async (request) => new Response(await request.text()), {
      bodyTimeout: 300,
    });
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/upload', { CONTENT_LENGTH: '100' }), openStdin: true });
    client.sendStdin(1, Buffer.alloc(10, 0x61));
    const result = await client.response(1);
    expect(result.status).toBe(408);
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'RequestLimitError', code: 'BODY_TIMEOUT', limit: 300 }),
    );
  });

  test('the handler reading the stalled body sees it fail, and its signal aborts', async () => {
    const seen = deferred<{ error: unknown; aborted: boolean }>();
    const { path } = await servers.start(
      async (request) => {
        try {
          await request.arrayBuffer();
        } catch (error) {
          seen.resolve({ error, aborted: request.signal.aborted });
        }
        return new Response('too late');
      },
      { bodyTimeout: 200, onError: () => {} },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/upload'), openStdin: true });
    client.sendStdin(1, 'partial');
    const { error, aborted } = await seen.promise;
    expect(error).toMatchObject({ code: 'BODY_TIMEOUT' });
    expect(aborted).toBe(true);
  });

  test('a body that keeps arriving is never cut, however long it takes in total', async () => {
    const { path } = await servers.start(
      async (request) => new Response(String((await request.arrayBuffer()).byteLength)),
      { bodyTimeout: 250 },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/upload'), openStdin: true });
    for (let i = 0; i < 8; i++) {
      client.sendStdin(1, Buffer.alloc(1000));
      await sleep(100);
    }
    client.endStdin(1);
    expect((await client.response(1)).body.toString()).toBe('8000');
  });

  test('a body nobody reads is not a stalled body: the handler answers when it likes', async () => {
    const { path } = await servers.start(
      async () => {
        await sleep(400);
        return new Response('answered without reading');
      },
      { bodyTimeout: 100 },
    );
    const client = await servers.connect(path);
    client.begin({ params: params('POST', '/upload', { CONTENT_LENGTH: '100' }), openStdin: true });
    client.sendStdin(1, 'partial');
    const result = await client.response(1);
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('answered without reading');
  });
});

describe('sendTimeout: a web server that stops reading the output', () => {
  test('a peer that takes nothing of a streamed response for sendTimeout is disconnected', async () => {
    const cancelled = deferred<unknown>();
    const { path } = await servers.start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              controller.enqueue(new Uint8Array(64 * 1024));
            },
            cancel: (reason) => cancelled.resolve(reason),
          }),
        ),
      { sendTimeout: 300 },
    );
    const client = await servers.connect(path);
    client.socket.pause();
    client.begin({ keepConn: true });
    // The response stream is cancelled once the connection is cut; the peer sees the close when it reads.
    expect(await cancelled.promise).toBeDefined();
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'RequestLimitError', code: 'SEND_TIMEOUT', limit: 300 }),
    );
    client.socket.resume();
    await client.waitClosed();
  });

  test('a slow reader that keeps taking output is not cut off', async () => {
    const size = 4 * 1024 * 1024;
    const { path } = await servers.start(() => new Response(new Uint8Array(size)), { sendTimeout: 400 });
    const client = await servers.connect(path);
    client.socket.pause();
    client.begin({ keepConn: true });
    // Read in short bursts, each well within sendTimeout of the last.
    const reading = setInterval(() => {
      client.socket.resume();
      setTimeout(() => client.socket.pause(), 20);
    }, 150);
    try {
      const result = await client.response(1);
      expect(result.body.length).toBe(size);
    } finally {
      clearInterval(reading);
      client.socket.resume();
    }
  });
});
