import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { serve } from '@fcgi/responder';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../src/gateway/server';
import { parseSize } from '../src/target';
import { cli, PROCESS_TEST_TIMEOUT_MS, spawnCli, tempDir } from './helpers';

// What the backend saw of a request body: the CONTENT_LENGTH param (PHP reads no body without it) and
// the bytes that arrived on STDIN.
let dir: Awaited<ReturnType<typeof tempDir>>;
let app: Awaited<ReturnType<typeof serve>>;
let socketPath: string;
let requestsSeen = 0;
const gateways: Gateway[] = [];

beforeAll(async () => {
  dir = await tempDir();
  socketPath = join(dir.path, 'app.sock');
  app = await serve(
    async (request, info) => {
      requestsSeen++;
      const body = await request.text();
      return Response.json({ contentLength: info.params.CONTENT_LENGTH ?? null, length: body.length, body });
    },
    { socketPath },
  );
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close(1000)));
});

afterAll(async () => {
  await app?.close();
  await dir?.remove();
});

async function gatewayWith(options: { bufferBody?: boolean; maxBodyBytes?: number }): Promise<Gateway> {
  const gateway = await startGateway({ target: `unix:${socketPath}`, port: 0, ...options });
  gateways.push(gateway);
  return gateway;
}

interface Answer {
  status: number;
  body: string;
  /** The request went out on a kept-alive connection of the agent's. */
  reusedSocket: boolean;
}

/** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length), as a streaming browser upload. */
function postChunked(url: string, chunks: string[], agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, ...(agent ? { agent } : {}) },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: text, reusedSocket: request.reusedSocket }),
        );
      },
    );
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('fcgi gateway request bodies of unknown length', () => {
  it('streams a chunked upload to the backend without CONTENT_LENGTH by default', async () => {
    const gateway = await gatewayWith({});
    const answer = await postChunked(gateway.url, ['one,', 'two,', 'three']);
    expect(JSON.parse(answer.body)).toEqual({ contentLength: null, length: 13, body: 'one,two,three' });
  });

  it('with bufferBody, sends a chunked upload whole, with CONTENT_LENGTH', async () => {
    const gateway = await gatewayWith({ bufferBody: true });
    // Larger than one FastCGI record and than the body stream's queue.
    const chunks = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i).repeat(10_000));
    const answer = await postChunked(gateway.url, chunks);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      contentLength: '200000',
      length: 200_000,
      body: chunks.join(''),
    });
  });

  it('with bufferBody, answers 413 for a chunked upload past maxBodyBytes, which never reaches the backend', async () => {
    const gateway = await gatewayWith({ bufferBody: true, maxBodyBytes: 10_000 });
    const before = requestsSeen;
    const answer = await postChunked(
      gateway.url,
      Array.from({ length: 20 }, () => 'x'.repeat(50_000)),
    );
    expect(answer).toMatchObject({
      status: 413,
      body: 'Content Too Large: the request body is larger than 10000 bytes\n',
    });
    expect(requestsSeen).toBe(before);
  });

  it('keeps the connection usable after a 413 for an oversized chunked upload', async () => {
    const gateway = await gatewayWith({ bufferBody: true, maxBodyBytes: 10_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await postChunked(gateway.url, ['y'.repeat(30_000)], agent)).status).toBe(413);
      const next = await postChunked(gateway.url, ['small'], agent);
      expect(next.reusedSocket).toBe(true);
      expect(JSON.parse(next.body)).toMatchObject({ contentLength: '5', body: 'small' });
    } finally {
      agent.destroy();
    }
  });

  it('answers 413 for a declared Content-Length past maxBodyBytes without asking the backend', async () => {
    const gateway = await gatewayWith({ maxBodyBytes: 1_000 });
    const before = requestsSeen;
    const response = await fetch(gateway.url, { method: 'POST', body: 'z'.repeat(1_001) });
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('Content Too Large: the request body is larger than 1000 bytes\n');
    expect(requestsSeen).toBe(before);
  });

  it('forwards a body of exactly maxBodyBytes', async () => {
    const gateway = await gatewayWith({ bufferBody: true, maxBodyBytes: 1_000 });
    const answer = await postChunked(gateway.url, ['a'.repeat(600), 'b'.repeat(400)]);
    expect(JSON.parse(answer.body)).toMatchObject({ contentLength: '1000', length: 1_000 });
  });
});

describe('fcgi gateway --buffer-body --max-body as a process', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('sends chunked uploads with CONTENT_LENGTH and answers 413 past the limit', async () => {
    const proc = spawnCli([
      'gateway',
      '--listen',
      '0',
      '--to',
      socketPath,
      '--buffer-body',
      '--max-body',
      '1k',
    ]);
    try {
      const [, url] = await proc.waitForOutput(/fcgi gateway: (http:\/\/127\.0\.0\.1:\d+\/) -> unix:/);
      const small = await postChunked(url!, ['a'.repeat(1000), 'b'.repeat(24)]);
      expect(JSON.parse(small.body)).toMatchObject({ contentLength: '1024', length: 1024 });
      expect((await postChunked(url!, ['a'.repeat(1000), 'b'.repeat(25)])).status).toBe(413);
    } finally {
      await proc.kill();
    }
  });
});

describe('--max-body', () => {
  it('takes bytes or a k, m or g suffix, as nginx sizes', () => {
    expect(parseSize('1048576', '--max-body')).toBe(1_048_576);
    expect(parseSize('512k', '--max-body')).toBe(512 * 1024);
    expect(parseSize('8M', '--max-body')).toBe(8 * 1024 * 1024);
    expect(parseSize('1g', '--max-body')).toBe(1024 ** 3);
  });

  it('is a usage error when it is not a positive size', async () => {
    const result = await cli(['gateway', '--listen', '0', '--to', socketPath, '--max-body', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^fcgi gateway: --max-body must be a positive size such as .*, got "0"\n/);
  });
});
