import { fileURLToPath } from 'node:url';
import { createClient, type FcgiClient } from '@fcgi/client';
import { type RunningExample, startExample } from '@fcgi/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

let example: RunningExample;
let client: FcgiClient;

beforeAll(async () => {
  example = await startExample(exampleDir);
  client = createClient(example.socketPath);
});

afterAll(async () => {
  await client?.close();
  await example?.stop();
});

describe('the Hono example, started as `pnpm start` does', () => {
  it('answers the home page', async () => {
    const response = await client.fetch('/');

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello from Hono over FastCGI\n');
  });

  it('creates a todo from JSON and finds it by its id', async () => {
    const created = await client.fetch('/todos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'write tests' }),
    });
    const todo = (await created.json()) as { id: number; title: string; done: boolean };
    const found = await client.fetch(`/todos/${todo.id}`);

    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/todos/${todo.id}`);
    expect(todo).toMatchObject({ title: 'write tests', done: false });
    expect(await found.json()).toEqual(todo);
  });

  it('answers a missing todo with a JSON 404', async () => {
    const response = await client.fetch('/todos/999');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no todo with id 999' });
  });

  it('answers an invalid todo with a JSON 400', async () => {
    const response = await client.fetch('/todos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": ',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'body is not valid JSON' });
  });

  it('reports the client address the web server saw', async () => {
    const response = await client.fetch('/whoami', {
      params: { REMOTE_ADDR: '192.0.2.44', REMOTE_PORT: '40000' },
    });

    expect(await response.json()).toMatchObject({ address: '192.0.2.44', port: 40000 });
  });

  it('streams the clock as server-sent events', async () => {
    const response = await client.fetch('/clock?count=3');
    const body = await response.text();

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(body.match(/^event: tick$/gm)).toHaveLength(3);
    expect(body.match(/^id: \d$/gm)).toEqual(['id: 1', 'id: 2', 'id: 3']);
  });

  it('stops with exit code 0 on SIGTERM', async () => {
    const other = await startExample(exampleDir);

    expect(await other.stop()).toBe(0);
  });
});
