// Whatever bytes a peer sends, the process never crashes, other connections keep working, and every
// record handed to the socket stays as it was written.
import { decodeEndRequestBody, encodeHeader, encodeRecord, RecordType } from '@fcgi/protocol';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { params, RawClient, requestRecords } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();

// A record with a valid header but arbitrary type, id and content: exercises every dispatch path.
const anyRecord = fc
  .record({
    type: fc.integer({ min: 0, max: 255 }),
    requestId: fc.integer({ min: 0, max: 3 }),
    content: fc.uint8Array({ maxLength: 40 }),
  })
  .map(({ type, requestId, content }) => encodeRecord(type, requestId, content));
const garbage = fc.uint8Array({ minLength: 1, maxLength: 64 });
const stream = fc.array(fc.oneof({ weight: 4, arbitrary: anyRecord }, { weight: 1, arbitrary: garbage }), {
  maxLength: 25,
});

describe('fuzzed record streams', () => {
  test('never crash the process and leave the server serving', async () => {
    const { path } = await servers.start(async (request) => new Response(await request.text()));
    await fc.assert(
      fc.asyncProperty(stream, async (parts) => {
        const client = await RawClient.connect(path);
        for (const part of parts) client.socket.write(part);
        // The responder answers, ignores or hangs up; either way a fresh connection must be served.
        client.close();
        const probe = await RawClient.connect(path);
        probe.begin({ params: params('POST', '/'), body: 'alive' });
        const result = await probe.response(1);
        probe.close();
        return result.body.toString() === 'alive';
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  test('a random stream on one connection is always answered or closed, never left hanging silently', async () => {
    const { path } = await servers.start(() => new Response('ok'), { idleTimeout: 200 });
    await fc.assert(
      fc.asyncProperty(stream, async (parts) => {
        const client = await RawClient.connect(path);
        for (const part of parts) client.socket.write(part);
        // Idle connections are closed after idleTimeout whatever state the stream left them in.
        await client.waitClosed();
        return true;
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});

describe('records handed to the socket', () => {
  test('every END_REQUEST keeps its own request id and status across many requests (no shared template)', async () => {
    const { path } = await servers.start(
      (request) => new Response(null, { status: new URL(request.url).pathname === '/odd' ? 404 : 200 }),
    );
    const client = await servers.connect(path);
    for (let id = 1; id <= 40; id++) {
      client.write(requestRecords({ id, keepConn: true, params: params('GET', id % 2 ? '/odd' : '/even') }));
      const result = await client.response(id);
      expect(result.status).toBe(id % 2 ? 404 : 200);
      const end = result.records.at(-1)!;
      expect(end.type).toBe(RecordType.EndRequest);
      expect(end.requestId).toBe(id);
      expect(decodeEndRequestBody(end.content)).toEqual({ appStatus: 0, protocolStatus: 0 });
    }
  });

  test('a record header that announces more content than ever arrives is cut off by idleTimeout', async () => {
    const { path } = await servers.start(() => new Response('ok'), { idleTimeout: 150 });
    const client = await servers.connect(path);
    client.write(encodeHeader(RecordType.Params, 1, 65_535));
    client.write(new Uint8Array(100));
    await client.waitClosed();
  });
});
