import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';
import { type RawRequest, type RawServer, startRawServer } from './helpers/raw-server';

let server: RawServer | undefined;
let client: FcgiClient | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe('connection pool', () => {
  test('sequential requests reuse one KEEP_CONN connection', async () => {
    server = await startRawServer((request) =>
      request.respond('Content-Type: text/plain', `#${request.requestId}`),
    );
    client = createClient(server.socketPath);
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) bodies.push(await (await client.fetch('/')).text());
    expect(server.connections).toHaveLength(1);
    expect(server.requests.every((request) => request.keepConn)).toBe(true);
    // Request ids differ from one request to the next on a connection.
    expect(bodies).toEqual(['#1', '#2', '#3', '#4', '#5']);
  });

  test('concurrent requests open at most poolSize connections and all complete', async () => {
    const inFlight: RawRequest[] = [];
    server = await startRawServer((request) => {
      // Answer only in pairs: the requests can only complete if two connections carry them at once.
      inFlight.push(request);
      if (inFlight.length === 2) {
        for (const held of inFlight.splice(0)) held.respond('Status: 200 OK', held.params.REQUEST_URI ?? '');
      }
    });
    client = createClient(server.socketPath, { poolSize: 2 });
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => client!.fetch(`/r${i}`).then((response) => response.text())),
    );
    expect(responses).toEqual(['/r0', '/r1', '/r2', '/r3', '/r4', '/r5']);
    expect(server.connections).toHaveLength(2);
  });

  test('a request waits for a busy connection when the pool is full', async () => {
    const held: Array<() => void> = [];
    server = await startRawServer((request) => {
      held.push(() => request.respond('Status: 200 OK', request.params.REQUEST_URI ?? ''));
    });
    client = createClient(server.socketPath, { poolSize: 1 });
    const first = client.fetch('/first');
    const firstRequest = await server.nextRequest();
    const second = client.fetch('/second');
    // The second request is queued, not sent on a second connection.
    expect(server.connections).toHaveLength(1);
    expect(firstRequest.params.REQUEST_URI).toBe('/first');
    const nextRequest = server.nextRequest();
    held.shift()!();
    expect(await (await first).text()).toBe('/first');
    await nextRequest;
    held.shift()!();
    expect(await (await second).text()).toBe('/second');
    expect(server.connections).toHaveLength(1);
  });

  test('a connection the server closed while idle is dropped and a new one is opened', async () => {
    server = await startRawServer((request) => {
      request.respond('Status: 200 OK', 'ok');
      // Like a backend's idle timeout: close right after answering.
      request.connection.socket.end();
    });
    client = createClient(server.socketPath);
    expect(await (await client.fetch('/')).text()).toBe('ok');
    await server.connections[0]!.closed;
    expect(await (await client.fetch('/')).text()).toBe('ok');
    expect(server.connections).toHaveLength(2);
  });

  test('a request sent on a connection that dies before answering is retried on a fresh one', async () => {
    server = await startRawServer(async (request) => {
      // The second request on the first connection meets a server that has just closed it.
      if (request.connection === server!.connections[0] && request.connection.requests.length === 2) {
        request.connection.socket.destroy();
        return;
      }
      await request.stdinEnded;
      request.respond('Status: 200 OK', new TextDecoder().decode(request.stdin));
    });
    client = createClient(server.socketPath);
    expect(await (await client.fetch('/', { method: 'POST', body: 'one' })).text()).toBe('one');
    const response = await client.fetch('/', { method: 'POST', body: 'two' });
    expect(await response.text()).toBe('two');
    expect(server.connections).toHaveLength(2);
  });

  test('a request on a fresh connection that dies before answering is not retried', async () => {
    server = await startRawServer((request) => {
      request.connection.socket.destroy();
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({
      name: 'FcgiClientError',
      code: 'CONNECTION_CLOSED',
    });
    expect(server.connections).toHaveLength(1);
  });

  test('with keepConn: false every request gets its own connection, closed by the server', async () => {
    server = await startRawServer((request) => request.respond('Status: 200 OK', 'ok'));
    client = createClient(server.socketPath, { keepConn: false });
    for (let i = 0; i < 3; i++) expect(await (await client.fetch('/')).text()).toBe('ok');
    expect(server.connections).toHaveLength(3);
    expect(server.requests.some((request) => request.keepConn)).toBe(false);
  });

  test('an idle connection is closed by the client after idleTimeout', async () => {
    server = await startRawServer((request) => request.respond('Status: 200 OK', 'ok'));
    client = createClient(server.socketPath, { idleTimeout: 50 });
    expect(await (await client.fetch('/')).text()).toBe('ok');
    await server.connections[0]!.closed;
    expect(await (await client.fetch('/')).text()).toBe('ok');
    expect(server.connections).toHaveLength(2);
  });

  test('close() closes idle connections and refuses new requests', async () => {
    server = await startRawServer((request) => request.respond('Status: 200 OK', 'ok'));
    client = createClient(server.socketPath);
    await (await client.fetch('/')).text();
    await client.close();
    await server.connections[0]!.closed;
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  test('close() lets a busy request finish before it resolves', async () => {
    let answer: (() => void) | undefined;
    server = await startRawServer((request) => {
      answer = () => request.respond('Status: 200 OK', 'finished');
    });
    client = createClient(server.socketPath);
    const pending = client.fetch('/');
    await server.nextRequest();
    let closed = false;
    const closing = client.close().then(() => {
      closed = true;
    });
    answer!();
    const response = await pending;
    expect(await response.text()).toBe('finished');
    await closing;
    expect(closed).toBe(true);
  });
});
