/**
 * The conformance app (examples/conformance) behind each real web server: one describe block per
 * column, one named test per behaviour, and a behaviour × column matrix printed at the end.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { waitFor } from '@fcgi/test-utils/processes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selectedColumns } from '../src/columns';
import { mapLimit } from '../src/concurrency';
import { type Backend, startBackend } from '../src/conformance-app';
import { patternBytes, patternSha256, pseudoRandomBytes, sha256 } from '../src/expected';
import {
  fetchDigest,
  fetchJson,
  fetchRaw,
  type HttpResponse,
  headerValues,
  openResponse,
  type RequestOptions,
} from '../src/http-client';
import { Matrix } from '../src/matrix';
import { paths } from '../src/paths';
import { getThenHangUp } from '../src/raw-client';
import { createRunDir, type RunDir } from '../src/run-dir';
import { runCgiFcgi } from '../src/servers/cgi-fcgi';
import { startNginx } from '../src/servers/nginx';
import type { Column, RunningWebServer } from '../src/servers/types';
import { type SocketActivatedApp, startSocketActivatedApp } from '../src/socket-activation';
import { countArrivals, readTimedEvents } from '../src/sse';

interface Stats {
  connections: number;
  requests: number;
  inFlight: number;
  aborted: number;
}

interface EchoRequest {
  method: string;
  url: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string>;
  bodyLength: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const BIG_DOWNLOAD = 100 * MiB;
const BIG_UPLOAD = 50 * MiB;
const SMALL_ECHO_SIZES: Array<[label: string, bytes: number]> = [
  ['0 B', 0],
  ['1 KiB', KiB],
  ['70 KiB', 70 * KiB],
];
const PATTERN_SIZES = [
  0,
  1,
  250,
  251,
  252,
  65535,
  65536,
  65537,
  1_000_000,
  ...Array.from({ length: 100 }, (_, i) => 65486 + i),
];
const SSE_EVENTS = [1, 2, 3, 4, 5].map((i) => `id: ${i}\ndata: event ${i}\n\n`);
const BIG_ONCE = 'big transfers run once per web server (on its unix column)';

const columns = selectedColumns();
const matrix = new Matrix(columns.map((column) => column.name));

afterAll(() => {
  const table = matrix.toMarkdown();
  mkdirSync(paths.results, { recursive: true });
  writeFileSync(join(paths.results, 'matrix.md'), table);
  console.log(`\ninterop matrix (also in ${join(paths.results, 'matrix.md')}):\n\n${table}`);
});

describe.each(columns)('$name', (column: Column) => {
  let runDir: RunDir;
  let backend: Backend;
  let web: RunningWebServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  /** Registers a behaviour: a named test that records pass/fail, or a skip that says why. */
  function check(behaviour: string, body: () => Promise<void>, skipBecause?: string): void {
    matrix.declare(behaviour);
    skipBecause = column.skipAll ?? skipBecause;
    if (skipBecause) {
      matrix.set(behaviour, column.name, 'skip');
      test.skip(`${behaviour} (skipped: ${skipBecause})`, () => {});
      return;
    }
    test(behaviour, async () => {
      try {
        await body();
      } catch (error) {
        matrix.set(behaviour, column.name, 'fail');
        throw error;
      }
      matrix.set(behaviour, column.name, 'pass');
    });
  }

  const get = (path: string, options: Omit<RequestOptions, 'path'> = {}): Promise<HttpResponse> =>
    fetchRaw(web.baseUrl, { agent, ...options, path });
  const echoRequest = (path: string, options: Omit<RequestOptions, 'path'> = {}): Promise<EchoRequest> =>
    fetchJson<EchoRequest>(web.baseUrl, { agent, ...options, path });
  const stats = (): Promise<Stats> => fetchJson<Stats>(web.baseUrl, { agent, path: '/__stats' });

  /** cgi-fcgi has a known header-split bug (interop README, "cgi-fcgi's parser bug"): its column retries once. */
  async function withCgiFcgiRetry<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (!column.rawCgi) throw error;
      console.warn(`${column.name}: retrying once after ${(error as Error).message} (pitfall 13)`);
      return attempt();
    }
  }

  function expectContentLength(response: HttpResponse, length: number): void {
    const header = response.headers['content-length'];
    if (header === undefined && column.dropsContentLength) return;
    expect(header).toBe(String(length));
  }

  beforeAll(async () => {
    if (column.skipAll) return;
    runDir = createRunDir(column.name);
    backend = await startBackend(runDir, column.transport);
    web = await column.start(runDir, backend);
  });

  afterAll(async () => {
    agent.destroy();
    await web?.stop();
    await backend?.stop();
    if (matrix.hasFailure(column.name)) runDir?.keepLogs(column.name);
    runDir?.remove();
  });

  check('GET /hello', async () => {
    const response = await get('/hello');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body.toString()).toBe('Hello, World!');
    expectContentLength(response, 13);
  });

  check('HEAD /hello has the GET headers and no body', async () => {
    const response = await get('/hello', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body.byteLength).toBe(0);
    expectContentLength(response, 13);
  });

  check(
    'HEAD writes no body bytes to FCGI_STDOUT',
    async () => {
      const { code, stdout } = await runCgiFcgi(backend.endpoint, {
        REQUEST_METHOD: 'HEAD',
        REQUEST_URI: '/hello',
        SCRIPT_NAME: '/hello',
        QUERY_STRING: '',
        HTTP_HOST: '127.0.0.1',
        SERVER_NAME: '127.0.0.1',
        SERVER_PORT: '80',
        SERVER_PROTOCOL: 'HTTP/1.1',
      });
      expect(code).toBe(0);
      const text = stdout.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      expect(headEnd).toBeGreaterThan(0);
      expect(text.slice(0, headEnd)).toMatch(/content-length: 13/i);
      expect(stdout.byteLength - (headEnd + 4)).toBe(0);
    },
    column.rawCgi ? undefined : 'only the raw cgi-fcgi output shows a stray HEAD body',
  );

  check('other methods on /hello are 405 with Allow', async () => {
    const response = await get('/hello', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  check('GET /echo-request reports method, URL, path, query and headers', async () => {
    const target = '/echo-request?a=1&b=two&b=three';
    const echoed = await echoRequest(target, { headers: { 'x-probe': 'yes' } });
    expect(echoed.method).toBe('GET');
    expect(echoed.url).toBe(`${web.baseUrl}${target}`);
    expect(echoed.path).toBe('/echo-request');
    expect(echoed.query).toEqual({ a: ['1'], b: ['two', 'three'] });
    expect(echoed.headers.host).toBe(`127.0.0.1:${web.port}`);
    expect(echoed.headers['x-probe']).toBe('yes');
    expect(echoed.bodyLength).toBe(0);
    // Only HTTP headers: no CGI variable leaks in as a header.
    expect(
      Object.keys(echoed.headers).filter((name) => /^(request|script|server|gateway)-/.test(name)),
    ).toEqual([]);
  });

  check('PUT, PATCH, DELETE and OPTIONS reach the app with their method', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const echoed = await echoRequest('/echo-request', { method });
      expect(echoed.method).toBe(method);
    }
  });

  check('Content-Type and Content-Length arrive once each', async () => {
    const body = Buffer.from('{"hello":"world"}');
    const echoed = await echoRequest('/echo-request', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(echoed.headers['content-length']).toBe(String(body.byteLength));
    expect(echoed.bodyLength).toBe(body.byteLength);
  });

  for (const [label, size] of SMALL_ECHO_SIZES) {
    check(`POST /echo of ${label} comes back byte-exact`, async () => {
      const body = pseudoRandomBytes(size, size + 7);
      const response = await get('/echo', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-interop' },
      });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-interop');
      expect(response.body.byteLength).toBe(size);
      expect(sha256(response.body)).toBe(sha256(body));
    });
  }

  check(
    'POST /echo of 50 MiB comes back byte-exact (sha256)',
    async () => {
      const body = pseudoRandomBytes(BIG_UPLOAD, 50);
      const digest = await withCgiFcgiRetry(() =>
        fetchDigest(web.baseUrl, { agent, method: 'POST', path: '/echo', body }),
      );
      expect(digest.status).toBe(200);
      expect(digest.length).toBe(BIG_UPLOAD);
      expect(digest.sha256).toBe(sha256(body));
    },
    column.halfDuplex ?? (column.bigTransfers ? undefined : BIG_ONCE),
  );

  check(
    'POST /upload of 50 MiB is hashed as it arrives',
    async () => {
      const body = pseudoRandomBytes(BIG_UPLOAD, 51);
      const result = await fetchJson<{ length: number; sha256: string }>(web.baseUrl, {
        agent,
        method: 'POST',
        path: '/upload',
        body,
      });
      expect(result).toEqual({ length: BIG_UPLOAD, sha256: sha256(body) });
    },
    !column.bigTransfers
      ? BIG_ONCE
      : column.halfDuplex
        ? undefined
        : 'the 50 MiB echo already carries a big upload through this server',
  );

  check(
    'a chunked upload (no Content-Length) arrives whole',
    async () => {
      const body = pseudoRandomBytes(MiB + 3, 52);
      const result = await fetchJson<{ length: number; sha256: string }>(web.baseUrl, {
        agent,
        method: 'POST',
        path: '/upload',
        body,
        chunked: true,
      });
      expect(result).toEqual({ length: body.byteLength, sha256: sha256(body) });
    },
    column.rejectsChunkedUploads,
  );

  check('GET /bytes returns the i % 251 pattern at every boundary size', async () => {
    await mapLimit(PATTERN_SIZES, 8, async (size) => {
      const response = await get(`/bytes?n=${size}`);
      expect(response.status, `n=${size}`).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      expectContentLength(response, size);
      expect(response.body.equals(patternBytes(size)), `body of n=${size}`).toBe(true);
    });
  });

  check(
    'GET /bytes of 100 MiB arrives complete (sha256)',
    async () => {
      const digest = await withCgiFcgiRetry(() =>
        fetchDigest(web.baseUrl, { agent, path: `/bytes?n=${BIG_DOWNLOAD}` }),
      );
      expect(digest.status).toBe(200);
      expect(digest.length).toBe(BIG_DOWNLOAD);
      expect(digest.sha256).toBe(patternSha256(BIG_DOWNLOAD));
    },
    column.bigTransfers ? undefined : BIG_ONCE,
  );

  check('bad parameters are 400 and unknown routes 404', async () => {
    for (const path of ['/bytes?n=-1', '/bytes?n=abc', '/bytes?n=1073741825', '/status/abc', '/status/600']) {
      expect((await get(path)).status, path).toBe(400);
    }
    const missing = await get('/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toBe('not found\n');
  });

  check('204 and 304 come without a body', async () => {
    for (const code of [204, 304]) {
      const response = await get(`/status/${code}`);
      expect(response.status).toBe(code);
      expect(response.body.byteLength).toBe(0);
      expect(['0', undefined]).toContain(response.headers['content-length']);
    }
  });

  check('redirects keep their status and Location', async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      const response = await get(`/status/${code}`);
      expect(response.status, `status ${code}`).toBe(code);
      expect(response.headers.location).toBe('/hello');
      expect(response.body.toString()).toBe(`status ${code}\n`);
    }
  });

  check('a client following a redirect lands on /hello', async () => {
    const response = await fetch(`${web.baseUrl}/status/301`);
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${web.baseUrl}/hello`);
    expect(await response.text()).toBe('Hello, World!');
  });

  check('other statuses keep their code and body', async () => {
    for (const code of [201, 404, 418, 500, 503]) {
      const response = await get(`/status/${code}`);
      expect(response.status, `status ${code}`).toBe(code);
      expect(response.body.toString()).toBe(`status ${code}\n`);
      if (code === 503) expect(response.headers['retry-after']).toBe('5');
    }
  });

  check('two Set-Cookie fields stay separate and in order', async () => {
    const response = await get('/cookies');
    expect(response.status).toBe(200);
    expect(headerValues(response, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(response.body.toString()).toBe('cookies set\n');
  });

  check('a percent-encoded UTF-8 path and query are decoded', async () => {
    const target =
      '/unicode/h%C3%A9llo%20w%C3%B6rld/%E6%97%A5%E6%9C%AC%E8%AA%9E%F0%9F%8E%89?q=%C3%BC%20%26%20%3D%20%2B%20%F0%9F%8E%89';
    const result = await fetchJson<{ path: string; query: Record<string, string[]> }>(web.baseUrl, {
      agent,
      path: target,
    });
    expect(result).toEqual({ path: '/unicode/héllo wörld/日本語🎉', query: { q: ['ü & = + 🎉'] } });
  });

  check('the raw request target reaches the app unchanged', async () => {
    const target = '/echo-request?q=a+b&plus=%2B&amp=%26&eq=%3D&empty=&caf%C3%A9=%E2%82%AC';
    const echoed = await echoRequest(target);
    expect(echoed.url).toBe(`${web.baseUrl}${target}`);
    expect(echoed.query).toEqual({
      q: ['a b'],
      plus: ['+'],
      amp: ['&'],
      eq: ['='],
      empty: [''],
      café: ['€'],
    });
  });

  check('a repeated request header arrives joined in order', async () => {
    const echoed = await echoRequest('/echo-request', { headers: { 'x-dup': ['a', 'b'] } });
    expect(echoed.headers['x-dup']).toBe('a, b');
  });

  check('an 8 KiB request header arrives whole', async () => {
    const value = pseudoRandomBytes(6 * KiB, 8)
      .toString('base64')
      .slice(0, 8 * KiB);
    const echoed = await echoRequest('/echo-request', { headers: { 'x-big': value } });
    expect(echoed.headers['x-big']).toBe(value);
  });

  check('40 KiB of request headers arrive whole (params in several records on apache2)', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 4; i++) {
      headers[`x-big-${i}`] = pseudoRandomBytes(7680, 40 + i).toString('base64'); // 10 KiB each
    }
    const echoed = await echoRequest('/echo-request', { headers });
    for (const [name, value] of Object.entries(headers)) expect(echoed.headers[name], name).toBe(value);
  });

  check('a query with 2000 parameters arrives whole', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => i.toString(36));
    const echoed = await echoRequest(`/echo-request?${names.map((name) => `${name}=1`).join('&')}`);
    expect(Object.keys(echoed.query)).toHaveLength(2000);
    expect(echoed.query[names[1999]!]).toEqual(['1']);
  });

  check('server-sent events arrive one by one, 200 ms apart', async () => {
    const response = await openResponse(web.baseUrl, { agent, path: '/stream' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.headers['content-length']).toBeUndefined();
    const events = await readTimedEvents(response);
    expect(events.map((event) => event.text)).toEqual(SSE_EVENTS);
    const spread = events.at(-1)!.at - events[0]!.at;
    const timeline = events.map((event) => Math.round(event.at)).join(', ');
    expect(spread, `arrivals at ${timeline} ms`).toBeGreaterThanOrEqual(600);
    expect(countArrivals(events, 60), `arrivals at ${timeline} ms`).toBeGreaterThanOrEqual(4);
  });

  check('a client hanging up mid-response aborts the handler, and the app keeps serving', async () => {
    try {
      const before = await stats();
      await getThenHangUp(web.port, '/bytes?n=1073741824', 256 * KiB);
      await waitFor(
        "the /bytes handler's request.signal to abort",
        async () => (await stats()).aborted > before.aborted,
        {
          timeoutMs: 15_000,
          intervalMs: 100,
        },
      );
      const response = await get('/hello', { idleTimeoutMs: 10_000 });
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('Hello, World!');
    } catch (error) {
      // A stuck app would fail every later check too: give them a fresh one, so each failure is its own.
      await backend.restart();
      throw error;
    }
  });

  check('500 requests at 50 concurrent all answer correctly', async () => {
    const requests = Array.from({ length: 500 }, (_, i) => i);
    await mapLimit(requests, 50, async (i) => {
      switch (i % 3) {
        case 0: {
          const echoed = await echoRequest(`/echo-request?i=${i}`);
          expect(echoed.query).toEqual({ i: [String(i)] });
          break;
        }
        case 1: {
          const size = (i * 397) % 20_000;
          const response = await get(`/bytes?n=${size}`);
          expect(response.status).toBe(200);
          expect(response.body.equals(patternBytes(size)), `bytes n=${size}`).toBe(true);
          break;
        }
        default: {
          const body = pseudoRandomBytes(i * 7, i);
          const response = await get('/echo', { method: 'POST', body });
          expect(response.status).toBe(200);
          expect(response.body.equals(body), `echo of ${body.byteLength} bytes`).toBe(true);
        }
      }
    });
  });

  check(
    'FastCGI connections are kept and reused (FCGI_KEEP_CONN)',
    async () => {
      const single = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const statsOver = () => fetchJson<Stats>(web.baseUrl, { agent: single, path: '/__stats' });
        const before = await statsOver();
        for (let i = 0; i < 50; i++) {
          const response = await fetchRaw(web.baseUrl, { agent: single, path: '/hello' });
          expect(response.status).toBe(200);
        }
        const after = await statsOver();
        expect(after.connections - before.connections, '50 requests one after another').toBeLessThanOrEqual(
          3,
        );
      } finally {
        single.destroy();
      }
    },
    column.keepsBackendConnections
      ? undefined
      : `${column.name} opens a FastCGI connection per request (no FCGI_KEEP_CONN)`,
  );

  check(
    '50 concurrent requests share at most 25 connections (multiplexing)',
    async () => {
      const before = await stats();
      const responses = await Promise.all(Array.from({ length: 50 }, () => get('/slow?ms=500')));
      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
      const after = await stats();
      expect(after.connections - before.connections).toBeLessThanOrEqual(25);
    },
    column.noMultiplexing,
  );

  check('a graceful close (SIGTERM) with 50 requests in flight loses none of them', async () => {
    const watcher = new Agent({ keepAlive: false });
    const statsNow = () => fetchJson<Stats>(web.baseUrl, { agent: watcher, path: '/__stats' });
    try {
      const before = await statsNow();
      // 3 s each: long enough that all 50 are inside the handler when SIGTERM arrives even on a
      // loaded machine, short enough to finish within the app's 5 s close timeout.
      const inFlight = Array.from({ length: 50 }, () => get('/slow?ms=3000'));
      await waitFor(
        '50 /slow requests to reach the app',
        async () => (await statsNow()).requests - before.requests >= 50,
        {
          timeoutMs: 30_000,
          intervalMs: 50,
        },
      );
      const app = backend.process;
      app.signalGroup('SIGTERM');
      const responses = await Promise.all(inFlight);
      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
      for (const response of responses) expect(response.body.toString()).toBe('slept 3000\n');
      const exit = await app.exited;
      expect(exit.code).toBe(0);
    } finally {
      watcher.destroy();
    }
  });

  check('the app restarts on the same address and is served again', async () => {
    await backend.restart();
    await waitFor(
      `${column.name} to reach the restarted app`,
      async () => (await get('/hello')).status === 200,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
  });
});

describe('systemd socket activation (nginx)', () => {
  const column = 'systemd socket (nginx)';
  let runDir: RunDir;
  let app: SocketActivatedApp;
  let web: RunningWebServer;
  matrix.addColumn(column);

  function check(behaviour: string, body: () => Promise<void>): void {
    matrix.declare(behaviour);
    test(behaviour, async () => {
      try {
        await body();
      } catch (error) {
        matrix.set(behaviour, column, 'fail');
        throw error;
      }
      matrix.set(behaviour, column, 'pass');
    });
  }

  beforeAll(async () => {
    runDir = createRunDir('systemd-socket');
    app = await startSocketActivatedApp(runDir);
    const backend = { transport: 'unix', endpoint: { socketPath: app.socketPath } } as Backend;
    web = await startNginx(runDir, backend);
  });

  afterAll(async () => {
    await web?.stop();
    await app?.process.stop();
    if (matrix.hasFailure(column)) runDir?.keepLogs(column);
    runDir?.remove();
  });

  check('GET /hello', async () => {
    const response = await fetchRaw(web.baseUrl, { path: '/hello' });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('Hello, World!');
  });

  check('POST /echo of 70 KiB comes back byte-exact', async () => {
    const body = pseudoRandomBytes(70 * KiB, 70);
    const response = await fetchRaw(web.baseUrl, { method: 'POST', path: '/echo', body });
    expect(response.status).toBe(200);
    expect(response.body.equals(body)).toBe(true);
  });

  check('a graceful close (SIGTERM) with 50 requests in flight loses none of them', async () => {
    const statsNow = () => fetchJson<Stats>(web.baseUrl, { path: '/__stats' });
    const before = await statsNow();
    const inFlight = Array.from({ length: 50 }, () => fetchRaw(web.baseUrl, { path: '/slow?ms=3000' }));
    await waitFor(
      '50 /slow requests to reach the app',
      async () => (await statsNow()).requests - before.requests >= 50,
      {
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
    app.process.signalGroup('SIGTERM');
    const responses = await Promise.all(inFlight);
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    expect((await app.process.exited).code).toBe(0);
  });
});
