import { createHash } from 'node:crypto';
import { FCGI_MAX_CONTENT_LEN } from '@fcgi/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';
import { type RawServer, startRawServer } from './helpers/raw-server';

let server: RawServer | undefined;
let client: FcgiClient | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

function patterned(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Echoes the request body back once STDIN has ended. */
async function echo(request: import('./helpers/raw-server').RawRequest): Promise<void> {
  await request.stdinEnded;
  request.stdout('Content-Type: application/octet-stream\r\n\r\n');
  request.stdout(request.stdin);
  request.end();
}

describe('request bodies', () => {
  test('a byte body is split into STDIN records of at most 65535 bytes with CONTENT_LENGTH', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const body = patterned(300_000);
    const response = await client.fetch('/upload', { method: 'POST', body });
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(body));
    const request = server.requests[0]!;
    expect(request.params.CONTENT_LENGTH).toBe('300000');
    expect(Math.max(...request.stdinRecordSizes)).toBeLessThanOrEqual(FCGI_MAX_CONTENT_LEN);
    expect(request.stdinRecordSizes.at(-1)).toBe(0);
    expect(request.stdinRecordSizes.reduce((a, b) => a + b, 0)).toBe(300_000);
  });

  test('a streamed body is sent chunk by chunk without CONTENT_LENGTH', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const chunks = [patterned(100_000), patterned(70_000), patterned(5)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await client.fetch('/upload', { method: 'PUT', body: stream });
    const echoed = new Uint8Array(await response.arrayBuffer());
    expect(echoed.length).toBe(170_005);
    expect(sha256(echoed)).toBe(sha256(Buffer.concat(chunks)));
    expect(server.requests[0]!.params.CONTENT_LENGTH).toBeUndefined();
  });

  test('a streamed body with a Content-Length header sends that CONTENT_LENGTH', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('hello'));
        controller.close();
      },
    });
    const response = await client.fetch('/upload', {
      method: 'POST',
      body: stream,
      headers: { 'Content-Length': '5' },
    });
    expect(await response.text()).toBe('hello');
    expect(server.requests[0]!.params.CONTENT_LENGTH).toBe('5');
  });

  test('a string body is sent as UTF-8 with its Content-Type', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const response = await client.fetch('/form', {
      method: 'POST',
      body: new URLSearchParams({ q: 'caf\u00e9' }),
    });
    expect(await response.text()).toBe('q=caf%C3%A9');
    expect(server.requests[0]!.params.CONTENT_TYPE).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(server.requests[0]!.params.CONTENT_LENGTH).toBe('11');
  });

  test('a request body stream that errors aborts the request with its error', async () => {
    server = await startRawServer((request) => void request.abortReceived.then(() => request.end()));
    client = createClient(server.socketPath);
    const failure = new Error('disk read failed');
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array(10));
        } else {
          controller.error(failure);
        }
      },
    });
    const requestSeen = server.nextRequest();
    await expect(client.fetch('/', { method: 'POST', body: stream })).rejects.toBe(failure);
    await (await requestSeen).abortReceived;
  });

  test('a Request object is sent with its method, headers and body', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const request = new Request('http://app.example/items', {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain', 'X-Id': '7' },
      body: 'patched',
    });
    const response = await client.fetch(request);
    expect(await response.text()).toBe('patched');
    expect(server.requests[0]!.params).toMatchObject({
      REQUEST_METHOD: 'PATCH',
      HTTP_HOST: 'app.example',
      HTTP_X_ID: '7',
      CONTENT_TYPE: 'text/plain',
    });
  });

  test('a Request whose body was already read is refused with a TypeError', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    const request = new Request('http://localhost/', { method: 'POST', body: 'once' });
    await request.text();
    await expect(client.fetch(request)).rejects.toThrow(/already been read/);
    expect(server.connections).toHaveLength(0);
  });

  test('a GET with a body is refused before anything is sent', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath);
    await expect(client.fetch('/', { method: 'GET', body: new Uint8Array(1) })).rejects.toBeInstanceOf(
      TypeError,
    );
    expect(server.connections).toHaveLength(0);
  });
});

describe('response bodies', () => {
  test('a large response body arrives intact', async () => {
    const body = patterned(5 * 1024 * 1024);
    server = await startRawServer((request) => {
      request.stdout('Content-Type: application/octet-stream\r\n\r\n');
      request.stdout(body);
      request.end();
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/big');
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(body));
  });

  test('the socket is not read faster than the body is consumed', async () => {
    const total = 32 * 1024 * 1024;
    const chunk = patterned(256 * 1024);
    let written = 0;
    let blocked!: () => void;
    const serverBlocked = new Promise<void>((resolve) => {
      blocked = resolve;
    });
    server = await startRawServer(async (request) => {
      request.stdout('Content-Type: application/octet-stream\r\n\r\n');
      while (written < total) {
        const flowing = request.stdout(chunk);
        written += chunk.length;
        if (!flowing) {
          blocked();
          await new Promise((resolve) => request.connection.socket.once('drain', resolve));
        }
      }
      request.end();
    });
    client = createClient(server.socketPath);
    const response = await client.fetch('/stream');
    await serverBlocked;
    // Nobody reads the body for a while: the backend must stay blocked far from the end.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBeLessThan(total / 4);
    const received = new Uint8Array(await response.arrayBuffer());
    expect(received.length).toBe(total);
  });

  test('a HEAD response has no body even when the backend sends one', async () => {
    server = await startRawServer((request) => request.respond('Content-Length: 4', 'body'));
    client = createClient(server.socketPath);
    const response = await client.fetch('/', { method: 'HEAD' });
    expect(response.body).toBeNull();
    expect(response.headers.get('content-length')).toBe('4');
    // The connection is reusable once the discarded output has been read.
    expect(await (await client.fetch('/')).text()).toBe('body');
    expect(server.connections).toHaveLength(1);
  });

  test('a 204 response has a null body', async () => {
    server = await startRawServer((request) => request.respond('Status: 204 No Content'));
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  test('status, reason, headers and every Set-Cookie reach the Response', async () => {
    server = await startRawServer((request) =>
      request.respond(
        'Set-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\nX-Custom: yes\r\nStatus: 418 I Am A Teapot',
        'short and stout',
      ),
    );
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(418);
    expect(response.statusText).toBe('I Am A Teapot');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2; Path=/']);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(await response.text()).toBe('short and stout');
  });

  test('a Location without Status is a 302 redirect that is not followed', async () => {
    server = await startRawServer((request) => request.respond('Location: /elsewhere'));
    client = createClient(server.socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(server.requests).toHaveLength(1);
  });
});

describe('request body length', () => {
  function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
  }

  test('a stream longer than its Content-Length aborts the request with BODY_LENGTH_MISMATCH', async () => {
    server = await startRawServer((request) => void request.abortReceived.then(() => request.end()));
    client = createClient(server.socketPath);
    const requestSeen = server.nextRequest();
    const pending = client.fetch('/', {
      method: 'POST',
      body: streamOf('12345', '6789'),
      headers: { 'Content-Length': '5' },
    });
    await expect(pending).rejects.toMatchObject({
      code: 'BODY_LENGTH_MISMATCH',
      message: expect.stringMatching(/exceeded 9 bytes/),
    });
    const request = await requestSeen;
    await request.abortReceived;
    expect(request.stdin.length).toBeLessThanOrEqual(5);
  });

  test('a stream shorter than its Content-Length aborts the request with BODY_LENGTH_MISMATCH', async () => {
    server = await startRawServer((request) => void request.abortReceived.then(() => request.end()));
    client = createClient(server.socketPath);
    const pending = client.fetch('/', {
      method: 'POST',
      body: streamOf('123'),
      headers: { 'Content-Length': '5' },
    });
    await expect(pending).rejects.toMatchObject({
      code: 'BODY_LENGTH_MISMATCH',
      message: expect.stringMatching(/ended at 3 bytes/),
    });
  });

  test('with bufferRequestBody a stream of unknown length is sent with its CONTENT_LENGTH', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath, { bufferRequestBody: 1024 });
    const response = await client.fetch('/', { method: 'POST', body: streamOf('chunked ', 'upload') });
    expect(await response.text()).toBe('chunked upload');
    expect(server.requests[0]!.params.CONTENT_LENGTH).toBe('14');
  });

  test('with bufferRequestBody a stream beyond the limit is refused before anything is sent', async () => {
    server = await startRawServer(echo);
    client = createClient(server.socketPath, { bufferRequestBody: 4 });
    await expect(client.fetch('/', { method: 'POST', body: streamOf('too ', 'long') })).rejects.toMatchObject(
      {
        code: 'REQUEST_BODY_TOO_LARGE',
      },
    );
    expect(server.connections).toHaveLength(0);
  });
});
