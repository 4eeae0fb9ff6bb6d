import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { serve } from '@fcgi/responder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../src/gateway/server';
import handler from './fixtures/app.mjs';
import { cli, PROCESS_TEST_TIMEOUT_MS, spawnCli, tempDir } from './helpers';

let dir: Awaited<ReturnType<typeof tempDir>>;
let app: Awaited<ReturnType<typeof serve>>;
let gateway: Gateway;
let socketPath: string;

beforeAll(async () => {
  dir = await tempDir();
  socketPath = join(dir.path, 'app.sock');
  app = await serve(handler, { socketPath });
  await mkdir(join(dir.path, 'public'));
  await writeFile(join(dir.path, 'public', 'robots.txt'), 'User-agent: *\n');
  await writeFile(join(dir.path, 'secret.txt'), 'outside the root');
  gateway = await startGateway({ target: `unix:${socketPath}`, port: 0, root: join(dir.path, 'public') });
});

afterAll(async () => {
  await gateway?.close();
  await app?.close();
  await dir.remove();
});

describe('fcgi gateway', () => {
  it('forwards a GET to the FastCGI app and returns its response', async () => {
    const response = await fetch(`${gateway.url}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('Hello from the fixture\n');
  });

  it('passes the status through', async () => {
    const response = await fetch(`${gateway.url}status/418`);
    expect(response.status).toBe(418);
    expect(await response.text()).toBe('status 418\n');
  });

  it("answers HEAD with the backend's headers and no body", async () => {
    const response = await fetch(gateway.url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('keeps several Set-Cookie headers separate', async () => {
    const response = await fetch(`${gateway.url}cookies`);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    await response.text();
  });

  it('forwards a POST body larger than a FastCGI record, byte for byte', async () => {
    const body = new Uint8Array(300_000).map((_, i) => i % 251);
    const response = await fetch(`${gateway.url}echo`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-bytes' },
    });
    expect(response.headers.get('content-type')).toBe('application/x-bytes');
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  });

  it('forwards a chunked upload of unknown length', async () => {
    const chunks = ['one,', 'two,', 'three'];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const response = await fetch(`${gateway.url}echo`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await response.text()).toBe('one,two,three');
  });

  it('streams the response: the first part arrives before the app has finished', async () => {
    const response = await fetch(`${gateway.url}stream`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first\n');
    await (await fetch(`${gateway.url}release`)).text();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe('second\n');
  });

  it('tells the app the real client address and the original host', async () => {
    const response = await fetch(`${gateway.url}inspect?x=1`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    const seen = await response.json();
    expect(seen.params.REMOTE_ADDR).toBe('127.0.0.1');
    expect(Number(seen.params.REMOTE_PORT)).toBeGreaterThan(0);
    expect(seen.params.SERVER_PORT).toBe(String(gateway.address.port));
    expect(seen.url).toBe(`${gateway.url}inspect?x=1`);
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gateway.address.port}`);
    expect(seen.params.DOCUMENT_ROOT).toBe(join(dir.path, 'public'));
  });

  it('serves a static file from --root before asking the app', async () => {
    const response = await fetch(`${gateway.url}robots.txt`);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('User-agent: *\n');
  });

  it('logs each request with its status, marking static files', async () => {
    const lines: string[] = [];
    let logged!: () => void;
    const twoLogged = new Promise<void>((resolve) => (logged = resolve));
    const logging = await startGateway({
      target: `unix:${socketPath}`,
      port: 0,
      root: join(dir.path, 'public'),
      onRequest: (line) => {
        lines.push(line);
        if (lines.length === 2) logged();
      },
    });
    try {
      await (await fetch(`${logging.url}robots.txt`)).text();
      await (await fetch(`${logging.url}status/404?x=1`)).text();
      await twoLogged;
      expect(lines[0]).toMatch(/^GET \/robots\.txt 200 \d+ ms \(static\)$/);
      expect(lines[1]).toMatch(/^GET \/status\/404\?x=1 404 \d+ ms$/);
    } finally {
      await logging.close();
    }
  });

  it('falls through to the app when no file matches', async () => {
    expect(await (await fetch(`${gateway.url}inspect`)).json()).toMatchObject({ method: 'GET' });
  });

  it('rejects a traversal out of --root', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(gateway.url, { path: '/..%2fsecret.txt' }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: text }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(403);
    expect(body).not.toContain('outside the root');
  });

  it('answers 502 with the reason when the backend is down', async () => {
    const errors: string[] = [];
    const broken = await startGateway({
      target: `unix:${join(dir.path, 'nobody-home.sock')}`,
      port: 0,
      onError: (message) => errors.push(message),
    });
    try {
      const response = await fetch(broken.url);
      expect(response.status).toBe(502);
      expect(await response.text()).toMatch(/^Bad Gateway: cannot reach the FastCGI backend/);
      expect(errors).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });

  it('answers 504 when the backend accepts but does not answer within --timeout', async () => {
    const silent = createNetServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const slow = await startGateway({
      target: `127.0.0.1:${(silent.address() as AddressInfo).port}`,
      port: 0,
      timeout: 300,
    });
    try {
      const response = await fetch(slow.url);
      expect(response.status).toBe(504);
      expect(await response.text()).toMatch(/^Gateway Timeout: the FastCGI backend did not answer in time/);
    } finally {
      await slow.close(0);
      silent.close();
    }
  });

  it('reports a port in use as a one-line error', async () => {
    const result = await cli(['gateway', '--listen', String(gateway.address.port), '--to', socketPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `fcgi gateway: port ${gateway.address.port} on 127.0.0.1 is already in use; pick another with --listen\n`,
    );
  });
});

describe('fcgi gateway as a process', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('prints its URL, forwards and logs requests, and exits 0 on SIGTERM', async () => {
    const proc = spawnCli(['gateway', '--listen', '0', '--to', socketPath]);
    try {
      const [, url] = await proc.waitForOutput(/fcgi gateway: (http:\/\/127\.0\.0\.1:\d+\/) -> unix:/);
      expect(proc.stdout()).toContain('development only; use nginx or Caddy in production');
      expect(await (await fetch(url!)).text()).toBe('Hello from the fixture\n');
      await proc.waitForOutput(/^GET \/ 200 \d+ ms$/m);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      await proc.kill();
    }
  });
});

describe('fcgi gateway and a browser that goes away', () => {
  it('aborts the FastCGI request so the app can stop working', async () => {
    const local = await tempDir();
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    let aborted!: () => void;
    const appSawAbort = new Promise<void>((resolve) => (aborted = resolve));
    const endless = await serve(
      (_request, info) => {
        info.signal.addEventListener('abort', () => aborted(), { once: true });
        started();
        // A response that never ends on its own: only the abort stops it.
        return new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('tick\n'));
            },
          }),
        );
      },
      { socketPath: join(local.path, 'endless.sock') },
    );
    const front = await startGateway({ target: `unix:${join(local.path, 'endless.sock')}`, port: 0 });
    try {
      const browser = new AbortController();
      const response = await fetch(front.url, { signal: browser.signal });
      await handlerStarted;
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('tick\n');
      browser.abort();
      await appSawAbort;
    } finally {
      await front.close(1000);
      await endless.close();
      await local.remove();
    }
  });
});
