// Peers that break the protocol or hold resources on purpose: each gets a protocol-correct answer or
// is disconnected, and none of them keeps well-behaved web servers from being served.
import { connect } from 'node:net';
import {
  encodeBeginRequest,
  encodeHeader,
  encodeParams,
  encodeRecord,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { fcgiRequest, params, type RawClient } from './helpers/fcgi-client';
import { useServers } from './helpers/server';

const servers = useServers();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const echoUrl = (request: Request) => new Response(new URL(request.url).pathname);

describe('a BEGIN_REQUEST for an id that is still active', () => {
  test('never merges the second request params into the first', async () => {
    const urls: string[] = [];
    const { path } = await servers.start((request) => {
      urls.push(request.url);
      return new Response('served');
    });
    const client = await servers.connect(path);
    client.write([
      encodeBeginRequest(1, Role.Responder, 1),
      encodeRecord(RecordType.Params, 1, encodeParams({ REQUEST_METHOD: 'GET', REQUEST_URI: '/env' })),
      encodeBeginRequest(1, Role.Responder, 1),
      encodeRecord(RecordType.Params, 1, encodeParams({ REQUEST_METHOD: 'GET', REQUEST_URI: '/env' })),
      encodeHeader(RecordType.Params, 1, 0),
      encodeHeader(RecordType.Stdin, 1, 0),
    ]);
    const result = await client.response(1);
    expect(result.status).toBe(400);
    expect(urls).toEqual([]);
  });

  test('is reported as a ProtocolError with code REQUEST_ID_IN_USE', async () => {
    const { path } = await servers.start(echoUrl);
    const client = await servers.connect(path);
    client.write([
      encodeBeginRequest(7, Role.Responder, 1),
      encodeRecord(RecordType.Params, 7, encodeParams({ REQUEST_METHOD: 'GET' })),
      encodeBeginRequest(7, Role.Responder, 1),
    ]);
    await client.response(7);
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'ProtocolError', code: 'REQUEST_ID_IN_USE' }),
    );
  });

  test('leaves the connection serving the next request on that id after the END_REQUEST', async () => {
    const { path } = await servers.start(echoUrl);
    const client = await servers.connect(path);
    client.write([encodeBeginRequest(1, Role.Responder, 1), encodeBeginRequest(1, Role.Responder, 1)]);
    expect((await client.response(1)).status).toBe(400);
    client.begin({ id: 1, keepConn: true, params: params('GET', '/next') });
    expect((await client.response(1)).body.toString()).toBe('/next');
  });
});

describe('a REQUEST_METHOD that is not an HTTP token', () => {
  test('is answered 400 with MALFORMED_PARAMS and the connection goes on serving', async () => {
    const { path } = await servers.start(echoUrl);
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('GE T', '/bad') });
    expect((await client.response(1)).status).toBe(400);
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'ProtocolError', code: 'MALFORMED_PARAMS' }),
    );
    client.begin({ id: 2, keepConn: true, params: params('GET', '/next') });
    expect((await client.response(2)).body.toString()).toBe('/next');
  });
});

describe('a partial record larger than the configured buffer', () => {
  test('a header announcing more than maxBufferedBytes, then a stall, closes the connection at once', async () => {
    const { path } = await servers.start(() => new Response('ok'), { maxBufferedBytes: 8192 });
    const client = await servers.connect(path);
    // A management record (assembled whole, unlike the streams) announcing 65,535 bytes.
    client.write([encodeHeader(RecordType.GetValues, 0, 65_535), new Uint8Array(100)]);
    await client.waitClosed();
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ name: 'ProtocolError', code: 'RECORD_BUFFER_LIMIT' }),
    );
  });
});

describe('maxConnections under a slowloris', () => {
  /** Opens a connection that sends a BEGIN_REQUEST and one byte of its params, then nothing. */
  async function trickler(path: string): Promise<RawClient> {
    const client = await servers.connect(path);
    client.write([
      encodeBeginRequest(1, Role.Responder, 1),
      encodeHeader(RecordType.Params, 1, 300),
      new Uint8Array(1),
    ]);
    return client;
  }

  test('a new connection at maxConnections takes the place of a connection stuck in its request head', async () => {
    const { path } = await servers.start(echoUrl, { maxConnections: 3 });
    const stuck = [await trickler(path), await trickler(path), await trickler(path)];
    await sleep(50);
    const result = await fcgiRequest(path, { params: params('GET', '/legit') });
    expect(result.body.toString()).toBe('/legit');
    await Promise.race(stuck.map((client) => client.waitClosed()));
  });

  test('an idle keep-alive connection gives way to a new one at maxConnections', async () => {
    const { path } = await servers.start(echoUrl, { maxConnections: 2 });
    const idle = [await servers.connect(path), await servers.connect(path)];
    await sleep(50);
    const result = await fcgiRequest(path, { params: params('GET', '/fresh') });
    expect(result.body.toString()).toBe('/fresh');
    await Promise.race(idle.map((client) => client.waitClosed()));
  });

  test('a connection whose request is running is never the one that gives way', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { path } = await servers.start(
      async (request) => {
        if (request.url.endsWith('/busy')) await held;
        return echoUrl(request);
      },
      { maxConnections: 1 },
    );
    const busy = await servers.connect(path);
    busy.begin({ keepConn: true, params: params('GET', '/busy') });
    await sleep(50);
    // The newcomer is refused: the only connection is serving a request.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ path });
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
      socket.on('data', () => resolve(false));
      socket.write(
        Buffer.concat([encodeBeginRequest(1, Role.Responder, 0), encodeHeader(RecordType.Params, 1, 0)]),
      );
    });
    expect(refused).toBe(true);
    expect(servers.errors).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/maxConnections \(1\) reached/) }),
    );
    release();
    expect((await busy.response(1)).body.toString()).toBe('/busy');
  });
});
