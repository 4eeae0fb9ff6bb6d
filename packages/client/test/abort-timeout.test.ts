import { RecordType } from '@fcgi/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';
import { type RawRequest, type RawServer, startRawServer } from './helpers/raw-server';

/** A well-behaved backend ends an aborted request with END_REQUEST (§5.4). */
function endOnAbort(request: RawRequest): void {
  void request.abortReceived.then(() => request.end());
}

let server: RawServer | undefined;
let client: FcgiClient | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe('aborting with init.signal', () => {
  test('aborting before the head sends ABORT_REQUEST and rejects with an AbortError', async () => {
    server = await startRawServer(endOnAbort);
    client = createClient(server.socketPath);
    const controller = new AbortController();
    const pending = client.fetch('/', { signal: controller.signal });
    const request = await server.nextRequest();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await request.abortReceived;
    expect(request.connection.received.some((record) => record.type === RecordType.AbortRequest)).toBe(true);
  });

  test('aborting rejects with the signal reason when one is given', async () => {
    server = await startRawServer(endOnAbort);
    client = createClient(server.socketPath);
    const controller = new AbortController();
    const pending = client.fetch('/', { signal: controller.signal });
    await server.nextRequest();
    const reason = new Error('user navigated away');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  test('aborting mid-response sends ABORT_REQUEST and errors the body stream', async () => {
    server = await startRawServer((request) => {
      request.stdout('Content-Type: text/plain\r\n\r\nfirst part;');
      endOnAbort(request);
    });
    client = createClient(server.socketPath);
    const controller = new AbortController();
    const response = await client.fetch('/', { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first part;');
    const request = server.requests[0]!;
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    await request.abortReceived;
  });

  test('an already aborted signal rejects without connecting', async () => {
    server = await startRawServer(() => {});
    client = createClient(server.socketPath);
    await expect(client.fetch('/', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(server.connections).toHaveLength(0);
  });

  test('cancelling the response body sends ABORT_REQUEST', async () => {
    server = await startRawServer((request) => {
      request.stdout('Content-Type: text/plain\r\n\r\nendless...');
      endOnAbort(request);
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    await response.body!.cancel();
    await server.requests[0]!.abortReceived;
  });

  test('the connection of an aborted request is not reused, even when END_REQUEST follows', async () => {
    server = await startRawServer(async (request) => {
      if (server!.requests.length === 1) {
        await request.abortReceived;
        request.end();
        return;
      }
      request.respond('Status: 200 OK', 'fresh');
    });
    client = createClient(server.socketPath);
    const controller = new AbortController();
    const pending = client.fetch('/', { signal: controller.signal });
    await server.nextRequest();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await server.connections[0]!.closed;
    expect(await (await client.fetch('/')).text()).toBe('fresh');
    expect(server.connections).toHaveLength(2);
  });

  test('a backend that ignores ABORT_REQUEST has its connection closed after abortGraceMs', async () => {
    server = await startRawServer(() => {});
    client = createClient(server.socketPath, { abortGraceMs: 50 });
    const controller = new AbortController();
    const pending = client.fetch('/', { signal: controller.signal });
    await server.nextRequest();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await server.connections[0]!.closed;
  });

  test('aborting while waiting for a pooled connection rejects without sending anything', async () => {
    server = await startRawServer(endOnAbort);
    client = createClient(server.socketPath, { poolSize: 1 });
    const busyController = new AbortController();
    const busy = client.fetch('/busy', { signal: busyController.signal });
    await server.nextRequest();
    const controller = new AbortController();
    const queued = client.fetch('/queued', { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    busyController.abort();
    await expect(busy).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests.map((request) => request.params.REQUEST_URI)).toEqual(['/busy']);
  });
});

describe('timeouts', () => {
  test('no response head within timeout rejects with a TimeoutError and destroys the connection', async () => {
    server = await startRawServer(() => {});
    client = createClient(server.socketPath, { timeout: 100 });
    const pending = client.fetch('/');
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    await server.connections[0]!.closed;
  });

  test('timeout does not apply once the head has arrived', async () => {
    let finish: (() => void) | undefined;
    server = await startRawServer((request) => {
      request.stdout('Status: 200 OK\r\n\r\nhead sent;');
      finish = () => {
        request.stdout(' body done');
        request.end();
      };
    });
    client = createClient(server.socketPath, { timeout: 100 });
    const response = await client.fetch('/');
    const reader = response.body!.getReader();
    await reader.read();
    // Wait past the timeout on a timer of our own; the body must still complete.
    await new Promise((resolve) => setTimeout(resolve, 300));
    finish!();
    const rest = await reader.read();
    expect(new TextDecoder().decode(rest.value)).toBe(' body done');
    expect((await reader.read()).done).toBe(true);
  });

  test('the timeout also covers waiting for a pooled connection', async () => {
    server = await startRawServer(() => {});
    client = createClient(server.socketPath, { poolSize: 1, timeout: 100 });
    const first = client.fetch('/first');
    const second = client.fetch('/second');
    await expect(first).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(second).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
