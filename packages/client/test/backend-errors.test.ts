import { encodeStreamRecords, ProtocolStatus, RecordType } from '@fcgi/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient, FcgiStatusError, readStderr } from '../src/index';
import { type RawServer, startRawServer } from './helpers/raw-server';

let server: RawServer | undefined;
let client: FcgiClient | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe('protocol status errors', () => {
  test.each([
    ['CantMpxConn', ProtocolStatus.CantMpxConn, /cannot multiplex/],
    ['Overloaded', ProtocolStatus.Overloaded, /overloaded/],
    ['UnknownRole', ProtocolStatus.UnknownRole, /does not support the requested role/],
  ])('END_REQUEST with %s rejects with a FcgiStatusError', async (_name, status, message) => {
    server = await startRawServer((request) => request.end(status));
    client = createClient(server.socketPath);
    const error = await client.fetch('/').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FcgiStatusError);
    expect((error as FcgiStatusError).protocolStatus).toBe(status);
    expect((error as Error).message).toMatch(message);
  });

  test('the connection stays usable after a status error', async () => {
    let first = true;
    server = await startRawServer((request) => {
      if (first) request.end(ProtocolStatus.Overloaded);
      else request.respond('Status: 200 OK', 'ok');
      first = false;
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toBeInstanceOf(FcgiStatusError);
    expect(await (await client.fetch('/')).text()).toBe('ok');
    expect(server.connections).toHaveLength(1);
  });
});

describe('broken responses', () => {
  test('END_REQUEST before any STDOUT rejects with EMPTY_RESPONSE', async () => {
    server = await startRawServer((request) => request.end());
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({
      code: 'EMPTY_RESPONSE',
      message: expect.stringMatching(/without sending a response/),
    });
  });

  test('END_REQUEST in the middle of the response head rejects with MALFORMED_RESPONSE', async () => {
    server = await startRawServer((request) => {
      request.stdout('Content-Type: text/plain\r\n');
      request.end();
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'MALFORMED_RESPONSE' });
  });

  test('a response head that is not header lines rejects with MALFORMED_RESPONSE', async () => {
    server = await startRawServer((request) => request.respond('this is not a header'));
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({
      code: 'MALFORMED_RESPONSE',
      message: expect.stringMatching(/invalid response head/),
    });
  });

  test('the connection closing before the head rejects with CONNECTION_CLOSED', async () => {
    server = await startRawServer((request) => {
      request.stdout('Status: 200');
      request.connection.socket.destroy();
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
      message: expect.stringContaining(server.socketPath),
    });
  });

  test('the connection closing mid-body errors the body stream', async () => {
    server = await startRawServer((request) => {
      request.stdout('Content-Type: text/plain\r\n\r\npartial body');
      request.connection.socket.destroy();
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  test('bytes that are not FastCGI records reject with MALFORMED_RESPONSE', async () => {
    server = await startRawServer((request) => {
      request.connection.socket.write('HTTP/1.1 200 OK\r\n\r\n');
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({
      code: 'MALFORMED_RESPONSE',
      message: expect.stringMatching(/not FastCGI records/),
    });
  });

  test('records for another request id are ignored', async () => {
    server = await startRawServer((request) => {
      request.connection.write(
        encodeStreamRecords(
          RecordType.Stdout,
          request.requestId + 7,
          new TextEncoder().encode('Status: 500\r\n\r\n'),
        ),
      );
      request.respond('Status: 200 OK', 'mine');
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('mine');
  });

  test('a backend that sends records on an idle connection has it closed', async () => {
    server = await startRawServer((request) => {
      request.respond('Status: 200 OK', 'ok');
      request.stdout('unsolicited');
    });
    client = createClient(server.socketPath);
    expect(await (await client.fetch('/')).text()).toBe('ok');
    await server.connections[0]!.closed;
  });

  test('a status the Response constructor refuses rejects with MALFORMED_RESPONSE', async () => {
    server = await startRawServer((request) => request.respond('Status: 999 Nonsense'));
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'MALFORMED_RESPONSE' });
  });

  test('a response head larger than maxHeadBytes rejects with MALFORMED_RESPONSE', async () => {
    server = await startRawServer((request) => request.respond(`X-Big: ${'a'.repeat(4096)}`));
    client = createClient(server.socketPath, { maxHeadBytes: 1024 });
    await expect(client.fetch('/')).rejects.toMatchObject({ code: 'MALFORMED_RESPONSE' });
  });
});

describe('connecting', () => {
  test('a target that does not exist rejects with CONNECT_FAILED naming it', async () => {
    client = createClient('/nonexistent/dir/backend.sock');
    await expect(client.fetch('/')).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
      message: expect.stringContaining('unix:/nonexistent/dir/backend.sock'),
    });
  });

  test('an invalid target throws INVALID_TARGET from createClient', () => {
    expect(() => createClient('http://example.com')).toThrow(
      expect.objectContaining({ code: 'INVALID_TARGET' }),
    );
  });
});

describe('STDERR', () => {
  test('STDERR text reaches onStderr with the request it belongs to', async () => {
    server = await startRawServer((request) => {
      request.stderr('first line\n');
      request.stdout('Status: 200 OK\r\n\r\nbody');
      request.stderr('second line\n');
      request.end();
    });
    const seen: Array<[string, string]> = [];
    client = createClient(server.socketPath, {
      onStderr: (text, request) => seen.push([text, new URL(request.url).pathname]),
    });
    const response = await client.fetch('/logged');
    expect(await response.text()).toBe('body');
    expect(seen).toEqual([
      ['first line\n', '/logged'],
      ['second line\n', '/logged'],
    ]);
  });

  test('without onStderr the text is kept and readStderr() returns it once the request ended', async () => {
    server = await startRawServer((request) => {
      request.stderr('kept ');
      request.stdout('Status: 200 OK\r\n\r\n');
      request.stderr('for later');
      request.end();
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    await response.text();
    expect(await readStderr(response)).toBe('kept for later');
  });

  test('a multi-byte character split across STDERR records arrives whole', async () => {
    const bytes = new TextEncoder().encode('caf\u00e9');
    server = await startRawServer((request) => {
      request.stdout('Status: 200 OK\r\n\r\n');
      // "caf", then the two bytes of "é" in records of their own.
      request.stderr(bytes.subarray(0, 3));
      request.stderr(bytes.subarray(3, 4));
      request.stderr(bytes.subarray(4, 5));
      request.end();
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    await response.text();
    expect(await readStderr(response)).toBe('caf\u00e9');
  });

  test('a status error carries the STDERR text sent before it', async () => {
    server = await startRawServer((request) => {
      request.stderr('too busy');
      request.end(ProtocolStatus.Overloaded);
    });
    client = createClient(server.socketPath);
    await expect(client.fetch('/')).rejects.toMatchObject({ stderr: 'too busy' });
  });

  test('an onStderr callback that throws does not break the response', async () => {
    server = await startRawServer((request) => {
      request.stderr('boom');
      request.respond('Status: 200 OK', 'still fine');
    });
    client = createClient(server.socketPath, {
      onStderr: () => {
        throw new Error('logger failed');
      },
    });
    expect(await (await client.fetch('/')).text()).toBe('still fine');
  });
});

describe('management records', () => {
  test('getValues() returns the values the backend knows', async () => {
    server = await startRawServer(() => {});
    client = createClient(server.socketPath);
    expect(await client.getValues()).toEqual({
      FCGI_MAX_CONNS: '4',
      FCGI_MAX_REQS: '4',
      FCGI_MPXS_CONNS: '0',
    });
    expect(await client.getValues(['FCGI_MPXS_CONNS', 'NOT_A_VALUE'])).toEqual({ FCGI_MPXS_CONNS: '0' });
  });
});
