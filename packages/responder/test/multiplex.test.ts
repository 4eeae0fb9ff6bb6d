// Multiplexing: many request ids on one connection, each with its own streams, handler and signal.
import {
  encodeBeginRequest,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  ProtocolStatus,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { params, requestRecords } from './helpers/fcgi-client';
import { deferred, nextEvent, useServers } from './helpers/server';

const servers = useServers();
const echo = async (request: Request) =>
  new Response(`${new URL(request.url).pathname} ${await request.text()}`);

describe('multiplexed connections', () => {
  test('interleaved records of two requests are demultiplexed and both answered', async () => {
    const { path } = await servers.start(echo);
    const client = await servers.connect(path);
    client.write([
      encodeBeginRequest(1, Role.Responder, 1),
      encodeBeginRequest(2, Role.Responder, 1),
      encodeRecord(RecordType.Params, 2, encodeParams(params('POST', '/two'))),
      encodeRecord(RecordType.Params, 1, encodeParams(params('POST', '/one'))),
      encodeStreamEnd(RecordType.Params, 1),
      encodeRecord(RecordType.Stdin, 1, Buffer.from('a')),
      encodeStreamEnd(RecordType.Params, 2),
      encodeRecord(RecordType.Stdin, 2, Buffer.from('b')),
      encodeRecord(RecordType.Stdin, 1, Buffer.from('c')),
      encodeStreamEnd(RecordType.Stdin, 2),
      encodeStreamEnd(RecordType.Stdin, 1),
    ]);
    const [one, two] = await Promise.all([client.response(1), client.response(2)]);
    expect(one.body.toString()).toBe('/one ac');
    expect(two.body.toString()).toBe('/two b');
    expect(client.isOpen).toBe(true);
  });

  test('1000 concurrent requests over one connection all get their own answer', async () => {
    const { path } = await servers.start(
      async (request) => {
        // Answer out of order, so STDOUT records of different ids interleave.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        return echo(request);
      },
      { maxConcurrentRequests: 1000 },
    );
    const client = await servers.connect(path);
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    client.write(
      ids.flatMap((id) =>
        requestRecords({ id, keepConn: true, params: params('POST', `/r${id}`), body: `body-${id}` }),
      ),
    );
    const results = await Promise.all(ids.map((id) => client.response(id)));
    results.forEach((result, i) => {
      expect(result.body.toString()).toBe(`/r${i + 1} body-${i + 1}`);
      expect(result.protocolStatus).toBe(ProtocolStatus.RequestComplete);
    });
  });

  test('requests beyond maxConcurrentRequests get OVERLOADED', async () => {
    const release = deferred();
    const { path } = await servers.start(
      async () => {
        await release.promise;
        return new Response('ok');
      },
      { maxConcurrentRequests: 2 },
    );
    const client = await servers.connect(path);
    for (const id of [1, 2, 3]) client.begin({ id, keepConn: true });
    expect((await client.response(3)).protocolStatus).toBe(ProtocolStatus.Overloaded);
    release.resolve();
    expect((await client.response(1)).body.toString()).toBe('ok');
    expect((await client.response(2)).body.toString()).toBe('ok');
  });

  test('ABORT_REQUEST for one id aborts only that handler', async () => {
    const aborted = deferred();
    const release = deferred();
    const { path } = await servers.start(async (request, info) => {
      if (request.url.endsWith('/doomed')) {
        await nextEvent(info.signal);
        aborted.resolve();
        return new Response('never');
      }
      await release.promise;
      return new Response('survivor');
    });
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('GET', '/doomed') });
    client.begin({ id: 2, keepConn: true, params: params('GET', '/fine') });
    client.write(encodeRecord(RecordType.AbortRequest, 1));
    await aborted.promise;
    const first = await client.response(1);
    expect(first.stdout.length).toBe(0);
    release.resolve();
    expect((await client.response(2)).body.toString()).toBe('survivor');
  });

  test('closing the connection aborts every request on it', async () => {
    const signals: AbortSignal[] = [];
    const entered = deferred();
    const { path } = await servers.start(async (_request, info) => {
      signals.push(info.signal);
      if (signals.length === 3) entered.resolve();
      await nextEvent(info.signal);
      return new Response('never');
    });
    const client = await servers.connect(path);
    for (const id of [1, 2, 3]) client.begin({ id, keepConn: true });
    await entered.promise;
    client.close();
    await Promise.all(signals.map((signal) => nextEvent(signal)));
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  test('one request whose body nobody reads does not stall the others: it alone is ended (503)', async () => {
    const { path } = await servers.start(
      async (request) => {
        if (request.url.endsWith('/ignores-body')) {
          await nextEvent(request.signal);
          return new Response('never');
        }
        return echo(request);
      },
      { maxBufferedBytes: 64 * 1024, onError: () => {} },
    );
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('POST', '/ignores-body'), openStdin: true });
    client.begin({ id: 2, keepConn: true, params: params('POST', '/reads'), openStdin: true });
    // Far more than maxBufferedBytes for request 1, then request 2's body behind it on the same socket.
    for (let i = 0; i < 8; i++) client.write(encodeStreamRecords(RecordType.Stdin, 1, Buffer.alloc(60_000)));
    client.sendStdin(2, 'hello');
    client.endStdin(2);
    const second = await client.response(2);
    expect(second.body.toString()).toBe('/reads hello');
    const first = await client.response(1);
    expect(first.status).toBe(503);
    expect(client.isOpen).toBe(true);
  });

  test('the request ended for its unread body is reported as a BODY_BACKLOG limit, not a protocol error', async () => {
    const reported = deferred<unknown>();
    const held = deferred();
    const { path } = await servers.start(
      async (request) => {
        if (request.url.endsWith('/ignores-body')) await nextEvent(request.signal);
        else await held.promise; // keeps the connection shared while request 1 falls behind
        return new Response('done');
      },
      { maxBufferedBytes: 64 * 1024, onError: (error) => reported.resolve(error) },
    );
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('POST', '/ignores-body'), openStdin: true });
    client.begin({ id: 2, keepConn: true, params: params('GET', '/held') });
    for (let i = 0; i < 8; i++) client.write(encodeStreamRecords(RecordType.Stdin, 1, Buffer.alloc(60_000)));
    expect((await client.response(1)).status).toBe(503);
    expect(await reported.promise).toMatchObject({
      name: 'RequestLimitError',
      code: 'BODY_BACKLOG',
      limit: 64 * 1024,
    });
    held.resolve();
    expect((await client.response(2)).body.toString()).toBe('done');
  });

  test('without KEEP_CONN the connection closes once the last request on it has ended', async () => {
    const release = deferred();
    const { path } = await servers.start(async (request) => {
      if (request.url.endsWith('/slow')) await release.promise;
      return new Response('done');
    });
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('GET', '/slow') });
    client.begin({ id: 2, keepConn: false, params: params('GET', '/fast') });
    expect((await client.response(2)).body.toString()).toBe('done');
    expect(client.isOpen).toBe(true);
    release.resolve();
    expect((await client.response(1)).body.toString()).toBe('done');
    await client.waitClosed();
  });
});
