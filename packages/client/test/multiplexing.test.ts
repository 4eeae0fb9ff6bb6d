import { ProtocolStatus, RecordType } from '@fcgi/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient, FcgiStatusError, readStderr } from '../src/index';
import { expectedBody, multiplexingValues, startMultiplexingServer } from './helpers/multiplexing-server';
import { type RawRequest, type RawServer, startRawServer } from './helpers/raw-server';

let server: RawServer | undefined;
let client: FcgiClient | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

/** Resolves once `count` requests have reached the server with their PARAMS complete. */
async function requestsArrived(backend: RawServer, count: number): Promise<RawRequest[]> {
  while (backend.requests.length < count) await backend.nextRequest();
  return backend.requests.slice(0, count);
}

function abortRecordIds(backend: RawServer): number[] {
  return backend.accepted.flatMap((connection) =>
    connection.received
      .filter((record) => record.type === RecordType.AbortRequest)
      .map((record) => record.requestId),
  );
}

describe('multiplexing over one connection', () => {
  test('1000 concurrent requests share one connection and each gets its own answer', async () => {
    server = await startMultiplexingServer({ maxReqs: 1000 });
    client = createClient(server.socketPath);
    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const response =
          i % 2 === 0
            ? await client!.fetch(`/get/${i}`)
            : await client!.fetch(`/post/${i}`, { method: 'POST', body: `payload-${i}` });
        return response.text();
      }),
    );
    results.forEach((text, i) => {
      expect(text).toBe(i % 2 === 0 ? expectedBody(`/get/${i}`) : expectedBody(`/post/${i}`, `payload-${i}`));
    });
    expect(server.connections).toHaveLength(1);
    // The multiplexing probe is the only other connection, and GET_VALUES is asked once.
    expect(server.accepted).toHaveLength(2);
    expect(server.getValuesCount).toBe(1);
    expect(server.connections[0]!.maxActive).toBeGreaterThan(1);
    expect(Math.max(...server.requests.map((request) => request.requestId))).toBeLessThanOrEqual(1000);
  });

  test('answers sent out of order with interleaved STDOUT records reach the right requests', async () => {
    const backend = await startMultiplexingServer({ recordBytes: 1 });
    server = backend;
    client = createClient(server.socketPath);
    const responses = await Promise.all(['/a', '/b', '/c'].map((path) => client!.fetch(path)));
    expect(await Promise.all(responses.map((response) => response.text()))).toEqual([
      expectedBody('/a'),
      expectedBody('/b'),
      expectedBody('/c'),
    ]);
    expect(responses.map((response) => response.headers.get('x-request-id'))).toEqual(['1', '2', '3']);
    // The backend did answer newest first, one byte per record, alternating between the requests.
    expect(backend.stdoutRecordIds.slice(0, 6)).toEqual([3, 2, 1, 3, 2, 1]);
  });

  test('freed request ids are used again, so ids stay within 1..N', async () => {
    server = await startMultiplexingServer();
    client = createClient(server.socketPath);
    for (let round = 0; round < 3; round++) {
      const texts = await Promise.all(
        Array.from({ length: 4 }, (_, i) => client!.fetch(`/${round}/${i}`).then((r) => r.text())),
      );
      expect(texts).toEqual(Array.from({ length: 4 }, (_, i) => expectedBody(`/${round}/${i}`)));
    }
    expect(server.requests).toHaveLength(12);
    expect(new Set(server.requests.map((request) => request.requestId))).toEqual(new Set([1, 2, 3, 4]));
    expect(server.connections).toHaveLength(1);
  });
});

describe('request bodies on a shared connection', () => {
  test('large uploads of several requests at once each arrive whole', async () => {
    server = await startMultiplexingServer();
    client = createClient(server.socketPath);
    const bodies = Array.from({ length: 6 }, (_, i) => String.fromCharCode(0x61 + i).repeat(300 * 1024 + i));
    const streamed = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let offset = 0; offset < bytes.length; offset += 50_000) {
            controller.enqueue(bytes.slice(offset, offset + 50_000));
          }
          controller.close();
        },
      });
    const texts = await Promise.all(
      bodies.map(async (body, i) => {
        // Half as bytes, half as streams with a Content-Length.
        const init: RequestInit =
          i % 2 === 0
            ? { method: 'POST', body: new TextEncoder().encode(body) }
            : { method: 'POST', body: streamed(body), headers: { 'Content-Length': String(body.length) } };
        return (await client!.fetch(`/upload/${i}`, init)).text();
      }),
    );
    texts.forEach((text, i) => {
      expect(text).toBe(expectedBody(`/upload/${i}`, bodies[i]));
    });
    expect(server.connections).toHaveLength(1);
  });
});

describe('per-connection request limit', () => {
  test("the backend's FCGI_MAX_REQS caps the requests in flight on a connection", async () => {
    server = await startMultiplexingServer({ maxReqs: 4 });
    client = createClient(server.socketPath, { poolSize: 1 });
    const texts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client!.fetch(`/${i}`).then((response) => response.text())),
    );
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => expectedBody(`/${i}`)));
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.maxActive).toBe(4);
  });

  test('maxMultiplexedRequests lowers the cap below FCGI_MAX_REQS', async () => {
    server = await startMultiplexingServer({ maxReqs: 1000 });
    client = createClient(server.socketPath, { poolSize: 1, maxMultiplexedRequests: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => client!.fetch(`/${i}`).then((r) => r.text())));
    expect(server.connections[0]!.maxActive).toBe(3);
    expect(new Set(server.requests.map((request) => request.requestId))).toEqual(new Set([1, 2, 3]));
  });

  test('requests beyond what one connection takes open another, up to poolSize', async () => {
    server = await startRawServer(() => {}, { values: multiplexingValues(2) });
    client = createClient(server.socketPath, { poolSize: 3 });
    const fetches = Array.from({ length: 6 }, (_, i) => client!.fetch(`/${i}`));
    const requests = await requestsArrived(server, 6);
    expect(server.connections).toHaveLength(3);
    for (const connection of server.connections) expect(connection.activeCount).toBe(2);
    for (const request of requests) request.respond('Status: 200 OK', request.params.REQUEST_URI ?? '');
    const texts = await Promise.all(fetches.map((pending) => pending.then((response) => response.text())));
    expect(texts).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
  });
});

describe('fairness and backpressure', () => {
  test('a response body nobody reads does not stall the other requests; past its cap it is aborted', async () => {
    const bigChunk = new Uint8Array(64 * 1024).fill(0x61);
    let big: RawRequest | undefined;
    let bigBodySent = false;
    server = await startRawServer(
      (request) => {
        if (request.params.REQUEST_URI === '/big') {
          big = request;
          request.stdout('Content-Type: application/octet-stream\r\n\r\n');
          void request.abortReceived.then(() => request.end());
          return;
        }
        if (!bigBodySent) {
          // 1 MiB for the unread response, queued in front of every small answer.
          bigBodySent = true;
          for (let i = 0; i < 16; i++) big!.stdout(bigChunk);
        }
        request.respond('Status: 200 OK', request.params.REQUEST_URI ?? '');
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath, { maxBufferedBodyBytes: 256 * 1024 });
    const unread = await client.fetch('/big');
    const smalls = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client!.fetch(`/small/${i}`).then((response) => response.text())),
    );
    expect(smalls).toEqual(Array.from({ length: 10 }, (_, i) => `/small/${i}`));
    await expect(unread.arrayBuffer()).rejects.toMatchObject({ code: 'RESPONSE_BUFFER_FULL' });
    await big!.abortReceived;
    expect(abortRecordIds(server)).toEqual([big!.requestId]);
    expect(server.connections).toHaveLength(1);
  });

  test('a slow reader alone on its connection is paced by backpressure, not aborted', async () => {
    const total = 4 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(0x62);
    let blocked!: () => void;
    const serverBlocked = new Promise<void>((resolve) => {
      blocked = resolve;
    });
    server = await startRawServer(
      async (request) => {
        request.stdout('Content-Type: application/octet-stream\r\n\r\n');
        for (let sent = 0; sent < total; sent += chunk.length) {
          if (!request.stdout(chunk)) {
            blocked();
            await new Promise((resolve) => request.connection.socket.once('drain', resolve));
          }
        }
        request.end();
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath, { maxBufferedBodyBytes: 256 * 1024 });
    const response = await client.fetch('/download');
    // The backend has more to send than the socket takes: it waits for the client to read.
    await serverBlocked;
    expect((await response.arrayBuffer()).byteLength).toBe(total);
    expect(abortRecordIds(server)).toEqual([]);
  });
});

describe('aborts and failures on a shared connection', () => {
  test('aborting one of many requests sends ABORT_REQUEST for its id only', async () => {
    server = await startRawServer(() => {}, { values: multiplexingValues(100) });
    client = createClient(server.socketPath);
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const fetches = controllers.map((controller, i) => client!.fetch(`/${i}`, { signal: controller.signal }));
    const [first, second, third] = await requestsArrived(server, 3);
    controllers[1]!.abort();
    await expect(fetches[1]).rejects.toMatchObject({ name: 'AbortError' });
    await second!.abortReceived;
    second!.end();
    first!.respond('Status: 200 OK', 'first');
    third!.respond('Status: 200 OK', 'third');
    expect(await (await fetches[0]!).text()).toBe('first');
    expect(await (await fetches[2]!).text()).toBe('third');
    expect(abortRecordIds(server)).toEqual([second!.requestId]);
    // The connection goes on carrying requests, with the aborted request's id free again.
    const next = client.fetch('/next');
    const [, , , fourth] = await requestsArrived(server, 4);
    fourth!.respond('Status: 200 OK', 'next');
    expect(await (await next).text()).toBe('next');
    // Ids freed by the three earlier requests are used again rather than a fresh one.
    expect(fourth!.requestId).toBeLessThanOrEqual(3);
    expect(server.connections).toHaveLength(1);
  });

  test('a backend that ignores ABORT_REQUEST gets no new request on that connection, which closes once idle', async () => {
    server = await startRawServer(
      (request) => {
        const path = request.params.REQUEST_URI;
        if (path === '/ignores-abort') request.stdout('Content-Type: text/plain\r\n\r\nstarted');
        else if (path === '/new') request.respond('Status: 200 OK', 'new');
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath, { abortGraceMs: 100 });
    const ignored = await client.fetch('/ignores-abort');
    const other = client.fetch('/other');
    const [, otherRequest] = await requestsArrived(server, 2);
    await ignored.body!.cancel();
    // Resolves once the client has given up waiting for that END_REQUEST.
    await readStderr(ignored);
    expect(await (await client.fetch('/new')).text()).toBe('new');
    expect(server.connections).toHaveLength(2);
    expect(server.connections[0]!.socket.destroyed).toBe(false);
    otherRequest!.respond('Status: 200 OK', 'other');
    expect(await (await other).text()).toBe('other');
    await server.connections[0]!.closed;
  });

  test('the connection closing fails every request in flight on it', async () => {
    server = await startRawServer(
      (request) => {
        request.stdout(`Content-Type: text/plain\r\n\r\npart of ${request.params.REQUEST_URI}`);
        if (request.connection.requests.length === 3) request.connection.socket.destroy();
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath);
    const responses = await Promise.all(['/a', '/b', '/c'].map((path) => client!.fetch(path)));
    for (const response of responses) {
      await expect(response.text()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    }
    expect(server.connections).toHaveLength(1);
  });

  test('requests with no answer yet when a reused connection drops are sent again on a new one', async () => {
    server = await startRawServer(
      (request) => {
        const connection = request.connection;
        // The first connection answers one request, then dies with two others unanswered.
        if (connection === server!.connections[0] && connection.requests.length === 3) {
          connection.socket.destroy();
        } else if (connection !== server!.connections[0] || connection.requests.length === 1) {
          request.respond('Status: 200 OK', request.params.REQUEST_URI ?? '');
        }
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath);
    expect(await (await client.fetch('/warm')).text()).toBe('/warm');
    const texts = await Promise.all(['/x', '/y'].map((path) => client!.fetch(path).then((r) => r.text())));
    expect(texts).toEqual(['/x', '/y']);
    expect(server.connections).toHaveLength(2);
  });

  test('a request that times out is aborted alone; the others on its connection complete', async () => {
    let slow: RawRequest | undefined;
    server = await startRawServer(
      (request) => {
        if (request.params.REQUEST_URI === '/slow') {
          slow = request;
          void request.abortReceived.then(() => request.end());
          return;
        }
        // The head at once (the timeout covers only the head), the body once the slow one is aborted.
        request.stdout('Content-Type: text/plain\r\n\r\n');
        void slow!.abortReceived.then(() => {
          request.stdout('after the abort');
          request.end();
        });
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath, { timeout: 300 });
    const pendingSlow = client.fetch('/slow');
    await requestsArrived(server, 1);
    const streaming = await client.fetch('/streaming');
    await expect(pendingSlow).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await streaming.text()).toBe('after the abort');
    expect(abortRecordIds(server)).toEqual([slow!.requestId]);
    expect(server.connections).toHaveLength(1);
  });
});

describe('choosing whether to multiplex', () => {
  test('a backend that says FCGI_MPXS_CONNS=1 but answers CANT_MPX_CONN is used one request per connection', async () => {
    let refused = 0;
    server = await startRawServer(
      async (request) => {
        if (request.connection.activeCount > 1) {
          refused++;
          request.end(ProtocolStatus.CantMpxConn);
          return;
        }
        await request.stdinEnded;
        setImmediate(() => request.respond('Status: 200 OK', request.params.REQUEST_URI ?? ''));
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath);
    const texts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client!.fetch(`/${i}`).then((response) => response.text())),
    );
    expect(texts).toEqual(['/0', '/1', '/2', '/3', '/4']);
    expect(refused).toBeGreaterThan(0);
    const refusedBefore = refused;
    const later = await Promise.all(
      Array.from({ length: 3 }, (_, i) => client!.fetch(`/later/${i}`).then((response) => response.text())),
    );
    expect(later).toEqual(['/later/0', '/later/1', '/later/2']);
    expect(refused).toBe(refusedBefore);
    for (const connection of server.connections.slice(1)) expect(connection.maxActive).toBe(1);
  });

  test('after CANT_MPX_CONN, requests still waiting for a multiplexed slot go one per connection too', async () => {
    server = await startRawServer(
      async (request) => {
        if (request.connection.activeCount > 1) {
          request.end(ProtocolStatus.CantMpxConn);
          return;
        }
        await request.stdinEnded;
        setImmediate(() => request.respond('Status: 200 OK', request.params.REQUEST_URI ?? ''));
      },
      { values: multiplexingValues(2) },
    );
    client = createClient(server.socketPath, { poolSize: 1 });
    const texts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => client!.fetch(`/${i}`).then((response) => response.text())),
    );
    expect(texts).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    // The multiplexed connection, then one classic connection for everything else: no new multiplexed one.
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]!.maxActive).toBe(1);
  });

  test('a CANT_MPX_CONN answer to a request whose streamed body was read is reported, not resent', async () => {
    server = await startRawServer(
      (request) => {
        if (request.connection.activeCount > 1) request.end(ProtocolStatus.CantMpxConn);
      },
      { values: multiplexingValues(100) },
    );
    client = createClient(server.socketPath);
    const held = client.fetch('/held');
    const [first] = await requestsArrived(server, 1);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
      },
    });
    const error = await client.fetch('/stream', { method: 'POST', body }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FcgiStatusError);
    expect((error as FcgiStatusError).protocolStatus).toBe(ProtocolStatus.CantMpxConn);
    first!.respond('Status: 200 OK', 'held');
    expect(await (await held).text()).toBe('held');
  });

  test('multiplex: false never asks and sends one request per connection', async () => {
    server = await startMultiplexingServer();
    client = createClient(server.socketPath, { multiplex: false, poolSize: 3 });
    const texts = await Promise.all(
      ['/a', '/b', '/c'].map((path) => client!.fetch(path).then((r) => r.text())),
    );
    expect(texts).toEqual([expectedBody('/a'), expectedBody('/b'), expectedBody('/c')]);
    expect(server.getValuesCount).toBe(0);
    expect(server.connections).toHaveLength(3);
    for (const connection of server.connections) expect(connection.maxActive).toBe(1);
  });

  test('multiplex: true multiplexes without asking', async () => {
    server = await startMultiplexingServer();
    client = createClient(server.socketPath, { multiplex: true });
    const texts = await Promise.all(
      ['/a', '/b', '/c'].map((path) => client!.fetch(path).then((r) => r.text())),
    );
    expect(texts).toEqual([expectedBody('/a'), expectedBody('/b'), expectedBody('/c')]);
    expect(server.getValuesCount).toBe(0);
    expect(server.accepted).toHaveLength(1);
  });

  test("'auto' against a backend that says FCGI_MPXS_CONNS=0 asks once, then uses one request per connection", async () => {
    server = await startRawServer((request) =>
      request.respond('Status: 200 OK', request.params.REQUEST_URI ?? ''),
    );
    client = createClient(server.socketPath, { poolSize: 3 });
    await Promise.all(['/a', '/b', '/c'].map((path) => client!.fetch(path).then((r) => r.text())));
    await Promise.all(['/d', '/e'].map((path) => client!.fetch(path).then((r) => r.text())));
    expect(server.getValuesCount).toBe(1);
    for (const connection of server.connections) expect(connection.maxActive).toBe(1);
  });

  test("'auto' with a backend that does not understand GET_VALUES falls back to one request per connection", async () => {
    server = await startRawServer((request) => request.respond('Status: 200 OK', 'ok'), { values: {} });
    client = createClient(server.socketPath);
    expect(await (await client.fetch('/')).text()).toBe('ok');
    expect(server.getValuesCount).toBe(1);
  });

  test('close() called while the first request waits for the probe lets that request finish', async () => {
    server = await startMultiplexingServer();
    client = createClient(server.socketPath);
    const pending = client.fetch('/admitted');
    const closing = client.close();
    expect(await (await pending).text()).toBe(expectedBody('/admitted'));
    await closing;
    // The multiplexed connection the request used was closed by close(), not left behind.
    await server.connections[0]!.closed;
    await expect(client.fetch('/late')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  test('an unreachable backend fails the request as before, and the next request asks again', async () => {
    client = createClient('/nonexistent/fcgi-client-mpx.sock');
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});

describe('waiting queue bound', () => {
  /** A backend that answers every request once the gate opens. */
  function gatedBackend(): { handler: (request: RawRequest) => Promise<void>; open: () => void } {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return {
      open,
      handler: async (request) => {
        await gate;
        request.respond('Status: 200 OK', request.params.REQUEST_URI ?? '');
      },
    };
  }

  test('requests beyond maxQueuedRequests reject at once with QUEUE_FULL', async () => {
    const backend = gatedBackend();
    server = await startRawServer(backend.handler);
    client = createClient(server.socketPath, { poolSize: 1, maxQueuedRequests: 2 });
    const held = ['/busy', '/queued-1', '/queued-2'].map((path) => client!.fetch(path));
    await requestsArrived(server, 1);
    await expect(client.fetch('/overflow')).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    backend.open();
    const texts = await Promise.all(held.map((pending) => pending.then((response) => response.text())));
    expect(texts).toEqual(['/busy', '/queued-1', '/queued-2']);
  });

  test('with multiplexing, requests beyond the slots and the queue reject with QUEUE_FULL', async () => {
    const backend = gatedBackend();
    server = await startRawServer(backend.handler, { values: multiplexingValues(2) });
    client = createClient(server.socketPath, { poolSize: 1, maxQueuedRequests: 1 });
    const held = ['/1', '/2', '/3'].map((path) => client!.fetch(path));
    await requestsArrived(server, 2);
    await expect(client.fetch('/overflow')).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    backend.open();
    const texts = await Promise.all(held.map((pending) => pending.then((response) => response.text())));
    expect(texts).toEqual(['/1', '/2', '/3']);
  });
});
