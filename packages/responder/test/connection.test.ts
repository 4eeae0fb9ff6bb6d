// The connection state machine on the wire: management records, request ids, roles, keep-alive,
// split and interleaved records, garbage. Each test drives a real unix socket with raw records.

import { createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  decodeParams,
  decodeUnknownTypeBody,
  encodeBeginRequest,
  encodeGetValues,
  encodeParams,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  ProtocolError,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { describe, expect, test } from 'vitest';
import { type ServedConnection, serveConnection } from '../src/index';
import { type FcgiResult, params, requestRecords } from './helpers/fcgi-client';
import { deferred, useServers } from './helpers/server';

const servers = useServers();
const hello = () => new Response('hi');
// END_REQUEST for request id 1: version, type, id.
const END_REQUEST_HEADER = Buffer.from([1, RecordType.EndRequest, 0, 1]);

function getValuesResult(result: { content: Uint8Array }): Record<string, string> {
  return Object.fromEntries(decodeParams(result.content));
}

describe('management records', () => {
  test('GET_VALUES answers FCGI_MPXS_CONNS=1 and the per-connection cap, and invents no connection limit', async () => {
    const { path } = await servers.start(hello);
    const client = await servers.connect(path);
    client.write(encodeGetValues(['FCGI_MAX_CONNS', 'FCGI_MAX_REQS', 'FCGI_MPXS_CONNS', 'X_UNKNOWN']));
    await client.waitFor((records) => records.length > 0);
    const [record] = client.records;
    expect(record?.type).toBe(RecordType.GetValuesResult);
    expect(record?.requestId).toBe(0);
    expect(getValuesResult(record!)).toEqual({ FCGI_MPXS_CONNS: '1', FCGI_MAX_REQS: '100' });
  });

  test('without multiplexing GET_VALUES answers FCGI_MPXS_CONNS=0 and FCGI_MAX_REQS=1', async () => {
    const { path } = await servers.start(hello, { multiplex: false });
    const client = await servers.connect(path);
    client.write(encodeGetValues(['FCGI_MAX_REQS', 'FCGI_MPXS_CONNS']));
    await client.waitFor((records) => records.length > 0);
    expect(getValuesResult(client.records[0]!)).toEqual({ FCGI_MPXS_CONNS: '0', FCGI_MAX_REQS: '1' });
  });

  test('GET_VALUES reports FCGI_MAX_CONNS when maxConnections is set', async () => {
    const { path } = await servers.start(hello, { maxConnections: 7, maxConcurrentRequests: 5 });
    const client = await servers.connect(path);
    client.write(encodeGetValues(['FCGI_MAX_CONNS', 'FCGI_MAX_REQS', 'FCGI_MPXS_CONNS']));
    await client.waitFor((records) => records.length > 0);
    expect(getValuesResult(client.records[0]!)).toEqual({
      FCGI_MAX_CONNS: '7',
      FCGI_MAX_REQS: '5',
      FCGI_MPXS_CONNS: '1',
    });
  });

  test('a management record of another type gets UNKNOWN_TYPE naming that type', async () => {
    const { path } = await servers.start(hello);
    const client = await servers.connect(path);
    client.write(encodeRecord(42, 0, new Uint8Array(8)));
    await client.waitFor((records) => records.length > 0);
    const [record] = client.records;
    expect(record?.type).toBe(RecordType.UnknownType);
    expect(decodeUnknownTypeBody(record!.content).type).toBe(42);
  });

  test('management records interleaved with a request are answered without disturbing it', async () => {
    const { path } = await servers.start(async (request) => new Response(await request.text()));
    const client = await servers.connect(path);
    const unknown = encodeRecord(99, 0, new Uint8Array(0));
    client.write([
      encodeBeginRequest(1, Role.Responder, 0),
      encodeGetValues(['FCGI_MPXS_CONNS']),
      encodeRecord(RecordType.Params, 1, encodeParams(params('POST', '/'))),
      unknown,
      encodeStreamEnd(RecordType.Params, 1),
      unknown,
      encodeRecord(RecordType.Stdin, 1, Buffer.from('payload')),
      encodeGetValues(['FCGI_MPXS_CONNS']),
      encodeStreamEnd(RecordType.Stdin, 1),
    ]);
    const result = await client.response(1);
    expect(result.body.toString()).toBe('payload');
    await client.waitFor((records) => records.length === 4);
    expect(client.records.map((r) => r.type).sort()).toEqual([
      RecordType.GetValuesResult,
      RecordType.GetValuesResult,
      RecordType.UnknownType,
      RecordType.UnknownType,
    ]);
  });
});

describe('request ids and roles', () => {
  test('without multiplexing, a second concurrent id is refused with CANT_MPX_CONN while the first is served', async () => {
    const release = deferred();
    const { path } = await servers.start(
      async () => {
        await release.promise;
        return new Response('first');
      },
      { multiplex: false },
    );
    const client = await servers.connect(path);
    client.begin({ id: 1, keepConn: true, params: params('GET', '/') });
    client.begin({ id: 2, keepConn: true, params: params('GET', '/') });
    const refused = await client.response(2);
    expect(refused.protocolStatus).toBe(ProtocolStatus.CantMpxConn);
    expect(refused.stdout.length).toBe(0);
    release.resolve();
    const first = await client.response(1);
    expect(first.body.toString()).toBe('first');
    expect(first.protocolStatus).toBe(ProtocolStatus.RequestComplete);
  });

  test.each([
    ['Filter', Role.Filter],
    ['an undefined role', 9],
  ])('%s gets END_REQUEST with UNKNOWN_ROLE', async (_name, role) => {
    const { path } = await servers.start(hello);
    const client = await servers.connect(path);
    client.begin({ role, keepConn: true });
    const result = await client.response(1);
    expect(result.protocolStatus).toBe(ProtocolStatus.UnknownRole);
  });

  test('an Authorizer request reaches the handler with no body and its response is sent as is', async () => {
    const { path } = await servers.start(
      (request, info) =>
        new Response(null, {
          status: info.role === 'authorizer' && request.body === null ? 200 : 403,
          headers: { 'Variable-USER': 'ann' },
        }),
      { roles: ['responder', 'authorizer'] },
    );
    const client = await servers.connect(path);
    client.begin({ role: Role.Authorizer, keepConn: true, params: params('POST', '/private') });
    const result = await client.response(1);
    expect(result.status).toBe(200);
    expect(result.header('variable-user')).toBe('ann');
  });

  test('records for an inactive request id are ignored', async () => {
    const { path } = await servers.start(async (request) => new Response(await request.text()));
    const client = await servers.connect(path);
    client.write([
      ...encodeStreamRecords(RecordType.Stdin, 5, Buffer.from('stray')),
      encodeRecord(RecordType.Params, 6, new Uint8Array(3)),
      encodeRecord(RecordType.AbortRequest, 7),
    ]);
    client.begin({ keepConn: true, params: params('POST', '/'), body: 'real' });
    const result = await client.response(1);
    expect(result.body.toString()).toBe('real');
    expect(client.records).toEqual([]);
  });

  test('the handler sees the role, request id, keepConn and raw params', async () => {
    const { path } = await servers.start((_request, info) =>
      Response.json({
        role: info.role,
        id: info.requestId,
        keepConn: info.keepConn,
        addr: info.remoteAddress,
        port: info.remotePort,
        docroot: info.params.DOCUMENT_ROOT,
      }),
    );
    const client = await servers.connect(path);
    client.begin({ id: 300, keepConn: true, params: params('GET', '/', { DOCUMENT_ROOT: '/srv/www' }) });
    const result = await client.response(300);
    expect(JSON.parse(result.body.toString())).toEqual({
      role: 'responder',
      id: 300,
      keepConn: true,
      addr: '192.0.2.7',
      port: 51234,
      docroot: '/srv/www',
    });
  });
});

describe('connection lifetime', () => {
  test('with KEEP_CONN, several requests are served one after another on one connection', async () => {
    const { path } = await servers.start((request) => new Response(new URL(request.url).pathname));
    const client = await servers.connect(path);
    for (let i = 1; i <= 3; i++) {
      client.begin({ id: 1, keepConn: true, params: params('GET', `/n${i}`) });
      expect((await client.response(1)).body.toString()).toBe(`/n${i}`);
    }
    expect(client.isOpen).toBe(true);
  });

  test('without KEEP_CONN the connection is closed after END_REQUEST', async () => {
    const { path } = await servers.start(hello);
    const client = await servers.connect(path);
    client.begin({ keepConn: false });
    const result = await client.response(1);
    expect(result.body.toString()).toBe('hi');
    await client.waitClosed();
  });

  test('without KEEP_CONN, the web server hanging up after our end does not end the socket a second time', async () => {
    // Ending an ended stream makes Node build an ERR_STREAM_ALREADY_FINISHED with a stack trace; with
    // one connection per request (Apache, lighttpd, Caddy) that was a large share of each request.
    const path = servers.tempDir().socket();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const accepted = new Promise<{ connection: ServedConnection; endsAfterEnded: () => number }>(
      (resolve) => {
        server.once('connection', (socket) => {
          let endsAfterEnded = 0;
          const end = socket.end.bind(socket);
          socket.end = ((...args: Parameters<Socket['end']>) => {
            if (socket.writableEnded) endsAfterEnded++;
            return end(...args);
          }) as Socket['end'];
          resolve({ connection: serveConnection(socket, hello), endsAfterEnded: () => endsAfterEnded });
        });
      },
    );
    try {
      const client = await servers.connect(path);
      client.begin({ keepConn: false });
      expect((await client.response(1)).body.toString()).toBe('hi');
      const { connection, endsAfterEnded } = await accepted;
      await connection.closed;
      expect(endsAfterEnded()).toBe(0);
    } finally {
      server.close();
    }
  });

  test('maxRequestsPerConnection closes a keep-alive connection after that many requests', async () => {
    const { path } = await servers.start(hello, { maxRequestsPerConnection: 2 });
    const client = await servers.connect(path);
    client.begin({ keepConn: true });
    await client.response(1);
    expect(client.isOpen).toBe(true);
    client.begin({ keepConn: true });
    expect((await client.response(1)).body.toString()).toBe('hi');
    await client.waitClosed();
  });
});

describe('record framing', () => {
  test('a request sent one byte at a time is decoded and answered', async () => {
    const { path } = await servers.start(
      async (request) => new Response(`${request.method} ${await request.text()}`),
    );
    const client = await servers.connect(path);
    const bytes = Buffer.concat(requestRecords({ params: params('PUT', '/x'), body: 'split body' }));
    for (const byte of bytes) {
      client.socket.write(Uint8Array.of(byte));
      // Let each byte travel on its own so the responder really sees 1-byte chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = await client.response(1);
    expect(result.body.toString()).toBe('PUT split body');
  });

  test('a request split into two socket reads at any byte gets the same body back', async () => {
    // Stream records are handed out as pieces of the chunks they arrive in, never assembled: every
    // split point, inside a header, the params, the STDIN content or its padding, must give the same bytes.
    const body = 'stdin '.repeat(30).slice(0, 173); // 173 bytes: the STDIN record has 3 bytes of padding
    const bytes = Buffer.concat(requestRecords({ params: params('POST', '/echo'), body }));
    const answers = new Set<string>();
    for (let split = 1; split < bytes.length; split++) {
      const out: Buffer[] = [];
      const ended = deferred();
      const transport = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          out.push(chunk);
          if (Buffer.concat(out).includes(END_REQUEST_HEADER)) ended.resolve();
          callback();
        },
      });
      serveConnection(transport, async (request) => new Response(await request.text()));
      transport.push(bytes.subarray(0, split));
      transport.push(bytes.subarray(split));
      await ended.promise;
      const records = new RecordDecoder().push(Buffer.concat(out));
      const stdout = Buffer.concat(
        records.filter((record) => record.type === RecordType.Stdout).map((record) => record.content),
      );
      answers.add(stdout.toString('latin1'));
      transport.destroy();
    }
    expect([...answers]).toEqual([
      `Content-Length: 173\r\ncontent-type: text/plain;charset=UTF-8\r\nStatus: 200 OK\r\n\r\n${body}`,
    ]);
  });

  test('padding and records larger than one socket read are handled', async () => {
    const { path } = await servers.start(async (request) => new Response(await request.arrayBuffer()));
    const client = await servers.connect(path);
    const body = Buffer.alloc(65_535, 1);
    client.write([
      encodeBeginRequest(1, Role.Responder, 0),
      // encodeRecord pads to a multiple of 8
      ...requestRecords({ params: params('POST', '/') }).slice(1, -1),
      encodeRecord(RecordType.Stdin, 1, body),
      encodeRecord(RecordType.Stdin, 1, Buffer.from('abc')),
      encodeStreamEnd(RecordType.Stdin, 1),
    ]);
    const result = await client.response(1);
    expect(result.body.length).toBe(65_538);
  });

  test.each([
    ['a bad version byte', Buffer.from([9, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])],
    ['a BEGIN_REQUEST body that is too short', encodeRecord(RecordType.BeginRequest, 1, new Uint8Array(2))],
  ])(
    'garbage (%s) closes that connection, reports a ProtocolError and leaves others untouched',
    async (_name, garbage) => {
      const { path } = await servers.start(hello);
      const bad = await servers.connect(path);
      bad.write(garbage);
      await bad.waitClosed();
      expect(servers.errors.some((error) => error instanceof ProtocolError)).toBe(true);
      const good = await servers.connect(path);
      good.begin();
      expect((await good.response(1)).body.toString()).toBe('hi');
    },
  );

  test('malformed params (a pair cut short) get a 400 and, without multiplexing, close the connection', async () => {
    const { path } = await servers.start(hello, { multiplex: false });
    const client = await servers.connect(path);
    client.write([
      encodeBeginRequest(1, Role.Responder, 1),
      encodeRecord(RecordType.Params, 1, Uint8Array.of(5, 5, 65)),
      encodeStreamEnd(RecordType.Params, 1),
    ]);
    const result: FcgiResult = await client.response(1);
    expect(result.status).toBe(400);
    expect(servers.errors[0]).toBeInstanceOf(ProtocolError);
    await client.waitClosed();
  });
});
