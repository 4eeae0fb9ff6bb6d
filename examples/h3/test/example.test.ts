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

describe('the h3 example, started as `pnpm start` does', () => {
  it('answers the home page', async () => {
    const response = await client.fetch('/');

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello from h3 over FastCGI\n');
  });

  it('creates a note from JSON and finds it by its id', async () => {
    const created = await client.fetch('/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'call Bob' }),
    });
    const note = (await created.json()) as { id: number; text: string };
    const found = await client.fetch(`/notes/${note.id}`);

    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/notes/${note.id}`);
    expect(note.text).toBe('call Bob');
    expect(await found.json()).toEqual(note);
  });

  it('answers a missing note with a JSON 404', async () => {
    const response = await client.fetch('/notes/999');

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ status: 404, message: 'no note with id 999' });
  });

  it('answers an invalid note with a JSON 400', async () => {
    const response = await client.fetch('/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '' }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      status: 400,
      message: 'body must be JSON like {"text": "call Bob"}',
    });
  });

  it('reports the client address the web server saw', async () => {
    const response = await client.fetch('/whoami', { params: { REMOTE_ADDR: '192.0.2.45' } });

    expect(await response.json()).toMatchObject({ address: '192.0.2.45' });
  });

  it('streams the countdown as server-sent events', async () => {
    const response = await client.fetch('/countdown?from=3');
    const body = await response.text();

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(body.match(/^data: \d$/gm)).toEqual(['data: 3', 'data: 2', 'data: 1']);
  });

  it('stops with exit code 0 on SIGTERM', async () => {
    const other = await startExample(exampleDir);

    expect(await other.stop()).toBe(0);
  });
});
