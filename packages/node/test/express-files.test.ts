import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-express-files');
// Larger than the bridge's whole-response limit (64 KiB), so the file is streamed.
const FILE_SIZE = 300_000;
const fileBytes = new Uint8Array(FILE_SIZE).map((_, index) => (index * 7) % 256);
let dir: string;
let filePath: string;

function sha256(bytes: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(bytes)).digest('hex');
}

function fileApp(): express.Express {
  const app = express();
  app.get('/file', (_req, res) => res.sendFile(filePath));
  app.get('/report', (_req, res) => res.download(filePath, 'report.bin'));
  return app;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fcgi-node-files-'));
  filePath = join(dir, 'data.bin');
  await writeFile(filePath, fileBytes);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Express files over FastCGI', () => {
  it('streams res.sendFile() with its Content-Length and Content-Type', async () => {
    const { client } = await harness.start(fileApp());

    const response = await client.fetch('/file');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(FILE_SIZE));
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(sha256(await response.arrayBuffer())).toBe(sha256(fileBytes));
  });

  it('sends res.download() as an attachment with the given file name', async () => {
    const { client } = await harness.start(fileApp());

    const response = await client.fetch('/report');

    expect(response.headers.get('content-disposition')).toBe('attachment; filename=report.bin');
    expect(sha256(await response.arrayBuffer())).toBe(sha256(fileBytes));
  });

  it('answers a Range request with 206 and only the requested bytes', async () => {
    const { client } = await harness.start(fileApp());

    const response = await client.fetch('/file', { headers: { range: 'bytes=1000-1009' } });

    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000-1009/${FILE_SIZE}`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(fileBytes.subarray(1000, 1010));
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const { client } = await harness.start(fileApp());
    const first = await client.fetch('/file');
    await first.body?.cancel();
    const etag = first.headers.get('etag') as string;

    const response = await client.fetch('/file', { headers: { 'if-none-match': etag } });

    expect(response.status).toBe(304);
    expect(response.body).toBeNull();
  });

  it('answers HEAD for a file with its length and no body', async () => {
    const { client } = await harness.start(fileApp());

    const response = await client.fetch('/file', { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(FILE_SIZE));
    expect(response.body).toBeNull();
  });
});
