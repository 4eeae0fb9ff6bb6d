/**
 * The Express example (examples/express, an Express 5 app served with @fcgi/node) behind real nginx and
 * Apache, each configured from the templates in examples/webservers: JSON, a form, a multipart upload
 * and a streamed download, the Express app's own middleware unchanged.
 */

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selectedColumns } from '../src/columns';
import type { Backend } from '../src/conformance-app';
import { pseudoRandomBytes } from '../src/expected';
import { startExpressBackend } from '../src/express-app';
import { createRunDir, type RunDir } from '../src/run-dir';
import type { Column, RunningWebServer } from '../src/servers/types';

const EXPRESS_COLUMNS = new Set(['nginx (unix)', 'apache2']);
// Over one STDIN record and one socket read, under the example's 10 MiB upload limit.
const UPLOAD_BYTES = 3 * 1024 * 1024;
const REPORT_ROWS = 100_000;

const columns = selectedColumns().filter((column) => EXPRESS_COLUMNS.has(column.name));

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe.each(columns)('the Express example behind $name', (column: Column) => {
  let runDir: RunDir;
  let backend: Backend;
  let web: RunningWebServer;
  let failed = false;

  beforeAll(async () => {
    runDir = createRunDir(`express-${column.name}`);
    backend = await startExpressBackend(runDir);
    web = await column.start(runDir, backend);
  });

  afterAll(async () => {
    await web?.stop();
    await backend?.stop();
    if (failed) runDir.keepLogs(`express ${column.name}`);
    runDir?.remove();
  });

  /** A test that keeps the run's logs when it fails. */
  function check(name: string, body: () => Promise<void>): void {
    test(name, async () => {
      try {
        await body();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
  }

  check('answers GET with JSON and sees the client address as req.ip', async () => {
    const greeting = await fetch(`${web.baseUrl}/`);
    const notes = await fetch(`${web.baseUrl}/api/notes`);

    expect(await greeting.text()).toBe('Hello from Express over FastCGI (you are 127.0.0.1)\n');
    expect(notes.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await notes.json()).toEqual([{ id: 1, text: 'try Express over FastCGI' }]);
  });

  check('creates a note from a JSON POST with 201 and a Location', async () => {
    const response = await fetch(`${web.baseUrl}/api/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `through ${column.name}` }),
    });
    const note = (await response.json()) as { id: number; text: string };

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/notes/${note.id}`);
    expect(note.text).toBe(`through ${column.name}`);
  });

  check('reads a POSTed form with express.urlencoded()', async () => {
    const response = await fetch(`${web.baseUrl}/contact`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'Grace', message: 'a & b' }),
    });

    expect(await response.text()).toBe('<p>Thanks, Grace. We got: a &#38; b</p>\n');
  });

  check('receives a 3 MiB multipart upload with multer, bytes intact', async () => {
    const bytes = pseudoRandomBytes(UPLOAD_BYTES);
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }),
      'upload.bin',
    );

    const response = await fetch(`${web.baseUrl}/upload`, { method: 'POST', body: form });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      name: 'upload.bin',
      type: 'application/octet-stream',
      size: UPLOAD_BYTES,
      sha256: sha256(bytes),
    });
  });

  check('streams a CSV download as an attachment', async () => {
    const response = await fetch(`${web.baseUrl}/download/report.csv?rows=${REPORT_ROWS}`);
    const lines = (await response.text()).trimEnd().split('\n');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename=report.csv');
    expect(lines).toHaveLength(REPORT_ROWS + 1);
    expect(lines.at(-1)).toBe(`${REPORT_ROWS},${REPORT_ROWS * REPORT_ROWS}`);
  });

  check('answers an unknown route with the app’s JSON 404', async () => {
    const response = await fetch(`${web.baseUrl}/nowhere`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not found' });
  });
});
