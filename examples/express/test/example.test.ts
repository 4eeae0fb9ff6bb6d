import { createHash } from 'node:crypto';
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

describe('the Express example, started as `pnpm start` does', () => {
  it('greets with the client address the web server saw', async () => {
    const response = await client.fetch('/', { params: { REMOTE_ADDR: '203.0.113.4' } });

    expect(await response.text()).toBe('Hello from Express over FastCGI (you are 203.0.113.4)\n');
  });

  it('creates a note from JSON and finds it by its id', async () => {
    const created = await client.fetch('/api/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'write tests' }),
    });
    const note = (await created.json()) as { id: number; text: string };
    const found = await client.fetch(`/api/notes/${note.id}`);

    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/notes/${note.id}`);
    expect(await found.json()).toEqual({ id: note.id, text: 'write tests' });
  });

  it('answers a missing note with a JSON 404', async () => {
    const response = await client.fetch('/api/notes/999');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no note with id 999' });
  });

  it('answers a POSTed form with an HTML page that escapes it', async () => {
    const response = await client.fetch('/contact', {
      method: 'POST',
      body: new URLSearchParams({ name: 'Ada', message: '<hi>' }),
    });

    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('<p>Thanks, Ada. We got: &#60;hi&#62;</p>\n');
  });

  it('measures a multipart upload', async () => {
    const bytes = new Uint8Array(300_000).map((_, index) => index % 199);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'data.bin');

    const response = await client.fetch('/upload', { method: 'POST', body: form });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      name: 'data.bin',
      type: 'application/octet-stream',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('streams the CSV download as an attachment', async () => {
    const response = await client.fetch('/download/report.csv?rows=20000');
    const lines = (await response.text()).trimEnd().split('\n');

    expect(response.headers.get('content-disposition')).toBe('attachment; filename=report.csv');
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(lines).toHaveLength(20_001);
    expect(lines.at(-1)).toBe('20000,400000000');
  });
});
