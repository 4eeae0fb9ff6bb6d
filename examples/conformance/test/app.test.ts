import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createConformanceApp, createStats, EVENT_COUNT, formatEvent } from '../src/index';

const app = createConformanceApp();
const origin = 'http://127.0.0.1:8080';
const call = (path: string, init?: RequestInit) => app(new Request(`${origin}${path}`, init));

describe('conformance app routes (README, "Routes")', () => {
  test('GET /hello answers Hello, World! with its length', async () => {
    const response = await call('/hello');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.headers.get('content-length')).toBe('13');
    expect(await response.text()).toBe('Hello, World!');
  });

  test('HEAD /hello has the GET headers and a null body', async () => {
    const response = await call('/hello', { method: 'HEAD' });
    expect(response.headers.get('content-length')).toBe('13');
    expect(response.body).toBeNull();
  });

  test('other methods on /hello are 405 with Allow', async () => {
    const response = await call('/hello', { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('/echo-request reports the request as JSON', async () => {
    const response = await call('/echo-request?a=1&b=two&b=three', {
      method: 'POST',
      body: 'hello',
      headers: { 'x-dup': 'a, b', 'content-type': 'text/plain' },
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      method: 'POST',
      url: `${origin}/echo-request?a=1&b=two&b=three`,
      path: '/echo-request',
      query: { a: ['1'], b: ['two', 'three'] },
      headers: { 'content-type': 'text/plain', 'x-dup': 'a, b' },
      bodyLength: 5,
    });
  });

  test('/echo returns the body with its type and length', async () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    const response = await call('/echo', {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/x-test', 'content-length': '4' },
    });
    expect(response.headers.get('content-type')).toBe('application/x-test');
    expect(response.headers.get('content-length')).toBe('4');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(body);
  });

  test('/echo without a type answers application/octet-stream', async () => {
    const response = await call('/echo', { method: 'POST', body: new Uint8Array([7]) });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
  });

  test('/upload answers the length and sha256 of the body', async () => {
    const body = new Uint8Array(100_000).map((_, i) => i % 7);
    const response = await call('/upload', { method: 'POST', body });
    expect(await response.json()).toEqual({
      length: body.byteLength,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
  });

  test('/status/:code answers that status with the body and headers the README contract gives', async () => {
    const teapot = await call('/status/418');
    expect(teapot.status).toBe(418);
    expect(await teapot.text()).toBe('status 418\n');
    const moved = await call('/status/301');
    expect(moved.headers.get('location')).toBe('/hello');
    expect((await call('/status/503')).headers.get('retry-after')).toBe('5');
    const empty = await call('/status/204');
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  test('/status with a code outside 200..599 is 400', async () => {
    for (const code of ['199', '600', 'abc', '']) expect((await call(`/status/${code}`)).status).toBe(400);
  });

  test('/cookies sets two separate cookies in order', async () => {
    const response = await call('/cookies');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  test('/bytes?n=N streams byte i = i % 251 in chunks', async () => {
    const n = 200_000;
    const response = await call(`/bytes?n=${n}`);
    expect(response.headers.get('content-length')).toBe(String(n));
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.byteLength).toBe(n);
    expect(bytes.every((value, i) => value === i % 251)).toBe(true);
  });

  test('/bytes rejects n outside 0..1 GiB', async () => {
    for (const n of ['-1', '1073741825', 'x']) expect((await call(`/bytes?n=${n}`)).status).toBe(400);
  });

  test('/stream sends the five events as separate chunks', async () => {
    const response = await call('/stream');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      chunks.push(new TextDecoder().decode(read.value));
    }
    expect(chunks).toEqual(Array.from({ length: EVENT_COUNT }, (_, i) => formatEvent(i + 1)));
  });

  test('/slow stops when the request is aborted', async () => {
    const controller = new AbortController();
    const stats = createStats();
    const pending = createConformanceApp({ stats })(
      new Request(`${origin}/slow?ms=60000`, { signal: controller.signal }),
    );
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(stats.aborted).toBe(1);
  });

  test('/slow answers after the delay', async () => {
    expect(await (await call('/slow?ms=10')).text()).toBe('slept 10\n');
  });

  test('/unicode/ decodes the path and query as UTF-8', async () => {
    const response = await call('/unicode/h%C3%A9llo%20w%C3%B6rld?q=%C3%BC%20%26%20%2B');
    expect(await response.json()).toEqual({ path: '/unicode/héllo wörld', query: { q: ['ü & +'] } });
  });

  test('unknown routes are 404 not found', async () => {
    const response = await call('/nope');
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('not found\n');
  });

  test('/__stats exists only when stats are enabled', async () => {
    expect((await call('/__stats')).status).toBe(404);
    const stats = createStats();
    const withStats = createConformanceApp({ stats });
    await withStats(new Request(`${origin}/hello`));
    const response = await withStats(new Request(`${origin}/__stats`));
    expect(await response.json()).toEqual({ connections: 0, requests: 1, inFlight: 0, aborted: 0 });
  });
});
