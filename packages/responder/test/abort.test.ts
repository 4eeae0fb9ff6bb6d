// Aborts and timeouts: FCGI_ABORT_REQUEST, the web server hanging up, handlerTimeout, idleTimeout.
// Each must fire the signal, stop the writes, and end the request exactly once.

import { Duplex } from 'node:stream';
import { encodeBeginRequest, encodeGetValues, encodeRecord, RecordType, Role } from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { AppStatus, serveConnection } from '../src/index';
import { params, requestRecords } from './helpers/fcgi-client';
import { deferred, nextEvent, useServers } from './helpers/server';

const servers = useServers();

/** A handler whose response never ends; it records whether its stream was cancelled. */
function endlessStream() {
  const cancelled = deferred<unknown>();
  const signalled = deferred<unknown>();
  const handler = (_request: Request, info: { signal: AbortSignal }) => {
    info.signal.addEventListener('abort', () => signalled.resolve(info.signal.reason));
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          controller.enqueue(Buffer.from('tick\n'));
        },
        cancel(reason) {
          cancelled.resolve(reason);
        },
      }),
    );
  };
  return { handler, cancelled: cancelled.promise, signalled: signalled.promise };
}

describe('FCGI_ABORT_REQUEST', () => {
  test('fires the signal, cancels a never-ending body, and ends with one END_REQUEST and no STDOUT after it', async () => {
    const endless = endlessStream();
    const { path } = await servers.start(endless.handler);
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.waitFor((records) => records.some((r) => r.type === RecordType.Stdout));
    client.write(encodeRecord(RecordType.AbortRequest, 1));
    const result = await client.response(1);
    expect((await endless.signalled) as DOMException).toHaveProperty('name', 'AbortError');
    await endless.cancelled;
    expect(result.appStatus).toBe(AppStatus.Aborted);
    expect(result.records.at(-1)?.type).toBe(RecordType.EndRequest);
    expect(result.records.filter((r) => r.type === RecordType.EndRequest)).toHaveLength(1);
    // Nothing more for id 1 once it ended: a later request's answer arrives with no id-1 record before it.
    client.records.length = 0;
    client.write(encodeGetValues(['FCGI_MPXS_CONNS']));
    await client.waitFor((records) => records.some((r) => r.type === RecordType.GetValuesResult));
    expect(client.records.filter((r) => r.requestId === 1)).toEqual([]);
  });

  test('errors the request body stream the handler is reading', async () => {
    const bodyError = deferred<unknown>();
    const { path } = await servers.start(async (request) => {
      await request.text().catch((error) => bodyError.resolve(error));
      return new Response('after');
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('POST', '/'), openStdin: true });
    client.sendStdin(1, 'part');
    client.write(encodeRecord(RecordType.AbortRequest, 1));
    const result = await client.response(1);
    expect(await bodyError.promise).toHaveProperty('name', 'AbortError');
    expect(result.stdout.length).toBe(0);
    expect(result.appStatus).toBe(AppStatus.Aborted);
  });

  test('an abort racing a handler that responds later still yields exactly one END_REQUEST', async () => {
    const release = deferred();
    const { path } = await servers.start(async () => {
      await release.promise;
      return new Response('too late');
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    client.write(encodeRecord(RecordType.AbortRequest, 1));
    const result = await client.response(1);
    release.resolve();
    client.begin({ keepConn: true, id: 2 });
    const second = await client.response(2);
    expect(second.body.toString()).toBe('too late');
    expect(result.records.filter((r) => r.type === RecordType.EndRequest)).toHaveLength(1);
    expect(client.records.filter((r) => r.requestId === 1)).toEqual([]);
  });

  test('the handler can read the abort through request.signal too', async () => {
    const seen = deferred<boolean>();
    const { path } = await servers.start(async (request) => {
      await nextEvent(request.signal);
      seen.resolve(request.signal.aborted);
      return new Response('x');
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    client.write(encodeRecord(RecordType.AbortRequest, 1));
    await client.response(1);
    expect(await seen.promise).toBe(true);
  });
});

describe('the web server hanging up', () => {
  test('aborts the running handler and cancels its endless stream; the server stays healthy', async () => {
    const endless = endlessStream();
    const { path } = await servers.start((request, info) =>
      request.url.endsWith('/endless') ? endless.handler(request, info) : new Response('still here'),
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('GET', '/endless') });
    await client.waitFor((records) => records.some((r) => r.type === RecordType.Stdout));
    client.close();
    expect(await endless.signalled).toHaveProperty('name', 'AbortError');
    await endless.cancelled;
    const other = await servers.connect(path);
    other.begin();
    expect((await other.response(1)).body.toString()).toBe('still here');
  });

  test('a hanging handler is aborted when the connection closes', async () => {
    const signalled = deferred();
    const entered = deferred();
    const { path } = await servers.start(async (_request, info) => {
      entered.resolve();
      await nextEvent(info.signal);
      signalled.resolve();
      return new Response('unused');
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await entered.promise;
    client.close();
    await signalled.promise;
  });
});

describe('handlerTimeout', () => {
  test('a hanging handler gets a 503 and its signal aborts with a TimeoutError', async () => {
    const reason = deferred<unknown>();
    const { path } = await servers.start(
      async (_request, info) => {
        await nextEvent(info.signal);
        reason.resolve(info.signal.reason);
        return new Response('unused');
      },
      { handlerTimeout: 100 },
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    const result = await client.response(1);
    expect(result.status).toBe(503);
    expect(await reason.promise).toHaveProperty('name', 'TimeoutError');
  });

  test('a response still streaming at the deadline ends with appStatus Aborted', async () => {
    const endless = endlessStream();
    const { path } = await servers.start(endless.handler, { handlerTimeout: 100 });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    const result = await client.response(1);
    expect(result.status).toBe(200);
    expect(result.appStatus).toBe(AppStatus.Aborted);
    await endless.cancelled;
  });

  test('is off by default: a slow response (longer than a short idleTimeout) still completes', async () => {
    const { path } = await servers.start(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return new Response('slow but fine');
      },
      { idleTimeout: 100 },
    );
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    expect((await client.response(1)).body.toString()).toBe('slow but fine');
  });
});

describe('idleTimeout', () => {
  test('closes a keep-alive connection that has been idle that long', async () => {
    const { path } = await servers.start(() => new Response('x'), { idleTimeout: 300 });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.response(1);
    const started = performance.now();
    await client.waitClosed();
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  test('closes a connection whose peer sent half a record and stalled', async () => {
    const { path } = await servers.start(() => new Response('x'), { idleTimeout: 150 });
    const client = await servers.connect(path);
    client.write(encodeBeginRequest(1, Role.Responder, 1).subarray(0, 11));
    await client.waitClosed();
  });
});

describe('a peer that disappears while a synchronous stream is being written', () => {
  test('a write failure stops the writer at once, even when the body never yields to the event loop', async () => {
    let written = 0;
    // A transport whose writes start failing synchronously: it is destroyed (no longer writable) at
    // once, while its 'close' event is only queued.
    const transport = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        callback(written > 300_000 ? new Error('EPIPE') : null);
      },
    });
    const signalled = deferred<unknown>();
    serveConnection(transport, (_request, info) => {
      info.signal.addEventListener('abort', () => signalled.resolve(info.signal.reason));
      return new Response(
        new ReadableStream<Uint8Array>(
          { pull: (controller) => controller.enqueue(new Uint8Array(65_536)) },
          { highWaterMark: 0 },
        ),
      );
    });
    transport.push(Buffer.concat(requestRecords({ keepConn: true })));
    expect(await signalled.promise).toHaveProperty('name', 'AbortError');
    // The event loop is alive: a timer still fires.
    await new Promise((resolve) => setTimeout(resolve, 1));
  });

  test('aborts the handler at once and the process keeps serving (no microtask loop)', async () => {
    const signalled = deferred<unknown>();
    const cancelled = deferred();
    const { path } = await servers.start((request, info) => {
      if (!request.url.endsWith('/flood')) return new Response('still here');
      info.signal.addEventListener('abort', () => signalled.resolve(info.signal.reason));
      // pull() enqueues synchronously: every read resolves in the microtask queue.
      return new Response(
        new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              controller.enqueue(new Uint8Array(65_536));
            },
            cancel() {
              cancelled.resolve();
            },
          },
          { highWaterMark: 0 },
        ),
      );
    });
    const client = await servers.connect(path);
    client.begin({ keepConn: true, params: params('GET', '/flood') });
    await client.waitFor((records) => records.filter((r) => r.type === RecordType.Stdout).length > 4);
    client.close();
    expect(await signalled.promise).toHaveProperty('name', 'AbortError');
    await cancelled.promise;
    // A starved event loop would never answer this.
    const other = await servers.connect(path);
    other.begin();
    expect((await other.response(1)).body.toString()).toBe('still here');
  });
});
