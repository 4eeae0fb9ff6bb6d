import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RequestInfo, type ServeResult, serve } from '@fcgi/responder';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type FcgiClient } from '../src/index';

let served: ServeResult | undefined;
let client: FcgiClient | undefined;
let dir: string | undefined;

afterEach(async () => {
  await client?.close();
  await served?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  client = undefined;
  served = undefined;
  dir = undefined;
});

async function serveOnSocket(
  handler: (request: Request, info: RequestInfo) => Response | Promise<Response>,
): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'fcgi-client-responder-'));
  const socketPath = join(dir, 'app.sock');
  served = await serve(handler, { socketPath });
  return socketPath;
}

describe('against @fcgi/responder', () => {
  test('the handler sees the method, URL, headers and params the client sent', async () => {
    let seen:
      | { method: string; url: string; header: string | null; params: Record<string, string> }
      | undefined;
    const socketPath = await serveOnSocket((request, info) => {
      seen = {
        method: request.method,
        url: request.url,
        header: request.headers.get('x-trace'),
        params: { ...info.params },
      };
      return new Response('ok');
    });
    client = createClient(socketPath, { remoteAddress: '198.51.100.7', remotePort: 40000 });
    const response = await client.fetch('https://app.example/api/items?limit=5', {
      method: 'DELETE',
      headers: { 'X-Trace': 't-1' },
      params: { APP_STAGE: 'test' },
    });
    expect(await response.text()).toBe('ok');
    expect(seen).toMatchObject({
      method: 'DELETE',
      url: 'https://app.example/api/items?limit=5',
      header: 't-1',
      params: { APP_STAGE: 'test', REMOTE_ADDR: '198.51.100.7', REMOTE_PORT: '40000' },
    });
  });

  test('a JSON POST round-trips', async () => {
    const socketPath = await serveOnSocket(async (request) =>
      Response.json({ received: await request.json() }),
    );
    client = createClient(socketPath);
    const response = await client.fetch('/echo', {
      method: 'POST',
      body: JSON.stringify({ hello: 'world' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ received: { hello: 'world' } });
  });

  test('a 5 MiB streamed upload and a streamed download keep their bytes', async () => {
    const socketPath = await serveOnSocket(
      (request) => new Response(request.body, { headers: { 'Content-Type': 'application/octet-stream' } }),
    );
    client = createClient(socketPath);
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    let sent = 0;
    const hash = createHash('sha256');
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 80) {
          controller.close();
          return;
        }
        sent++;
        hash.update(chunk);
        controller.enqueue(chunk.slice());
      },
    });
    const response = await client.fetch('/upload', { method: 'POST', body: upload });
    const echoed = new Uint8Array(await response.arrayBuffer());
    expect(echoed.length).toBe(80 * chunk.length);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(hash.digest('hex'));
  });

  test('Set-Cookie headers and the status pass through', async () => {
    const socketPath = await serveOnSocket(() => {
      const headers = new Headers();
      headers.append('Set-Cookie', 'a=1');
      headers.append('Set-Cookie', 'b=2');
      return new Response('created', { status: 201, headers });
    });
    client = createClient(socketPath);
    const response = await client.fetch('/');
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  test('aborting a request fires the handler signal', async () => {
    let handlerAborted!: () => void;
    const aborted = new Promise<void>((resolve) => {
      handlerAborted = resolve;
    });
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const socketPath = await serveOnSocket(
      (_request, info) =>
        new Promise<Response>((resolve) => {
          started();
          info.signal.addEventListener('abort', () => {
            handlerAborted();
            resolve(new Response('too late'));
          });
        }),
    );
    client = createClient(socketPath);
    const controller = new AbortController();
    const pending = client.fetch('/slow', { signal: controller.signal });
    await handlerStarted;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await aborted;
  });

  test('sequential requests share one pooled connection', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fcgi-client-responder-'));
    const socketPath = join(dir, 'app.sock');
    const listener = createServer();
    let accepted = 0;
    listener.on('connection', () => accepted++);
    await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
    served = await serve(() => new Response('ok'), { server: listener });
    client = createClient(socketPath);
    for (let i = 0; i < 5; i++) expect(await (await client.fetch('/')).text()).toBe('ok');
    // One connection for the multiplexing probe (GET_VALUES, answered FCGI_MPXS_CONNS=0), one for all
    // five requests.
    expect(accepted).toBe(2);
  });

  test.each([
    { multiplex: false as const, probe: 0 },
    { multiplex: 'auto' as const, probe: 1 },
  ])(
    'rounds of parallel requests within poolSize reuse the pooled connections (multiplex: $multiplex)',
    async ({ multiplex, probe }) => {
      dir = await mkdtemp(join(tmpdir(), 'fcgi-client-responder-'));
      const socketPath = join(dir, 'app.sock');
      const listener = createServer();
      let accepted = 0;
      listener.on('connection', () => accepted++);
      await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
      served = await serve(() => new Response('ok'), { server: listener });
      const poolSize = 8;
      client = createClient(socketPath, { poolSize, multiplex });
      for (let round = 0; round < 5; round++) {
        const bodies = await Promise.all(
          Array.from({ length: poolSize }, () => client?.fetch('/').then((response) => response.text())),
        );
        expect(bodies).toEqual(Array.from({ length: poolSize }, () => 'ok'));
      }
      // 'auto' asks the backend once, on a connection of its own, whether it multiplexes (it does not).
      expect(accepted).toBeLessThanOrEqual(poolSize + probe);
    },
  );

  test('getValues() answers from the responder', async () => {
    const socketPath = await serveOnSocket(() => new Response('ok'));
    client = createClient(socketPath);
    // The responder multiplexes by default; its FCGI_MAX_REQS is its own business.
    expect(await client.getValues()).toMatchObject({ FCGI_MPXS_CONNS: '1' });
  });
});
