import { describe, expect, it } from 'vitest';
import hello from '../src/app';

const call = (path: string, init?: RequestInit) => hello(new Request(`http://localhost${path}`, init));

describe('the hello handler', () => {
  it('says Hello, World! at /', async () => {
    const response = await call('/');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('Hello, World!');
  });

  it('greets the name from the query string', async () => {
    expect(await (await call('/greet?name=Ada')).text()).toBe('Hello, Ada!');
  });

  it('greets the name from a POSTed form', async () => {
    const response = await call('/greet', {
      method: 'POST',
      body: 'name=Grace',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await response.text()).toBe('Hello, Grace! (from a POST)');
  });

  it('answers 405 with Allow for other methods on /greet', async () => {
    const response = await call('/greet', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('shows the params and client address the web server sent', async () => {
    const info = { params: { REQUEST_URI: '/params' }, remoteAddress: '203.0.113.7' } as never;
    const body = await (await hello(new Request('http://localhost/params'), info)).json();
    expect(body).toMatchObject({
      method: 'GET',
      remoteAddress: '203.0.113.7',
      params: { REQUEST_URI: '/params' },
    });
  });

  it('answers 404 elsewhere', async () => {
    expect((await call('/nope')).status).toBe(404);
  });
});
