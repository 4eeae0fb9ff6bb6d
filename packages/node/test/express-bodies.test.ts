import { createHash } from 'node:crypto';
import express from 'express';
import multer from 'multer';
import { describe, expect, it } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-express-bodies');

function sha256(bytes: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(bytes)).digest('hex');
}

describe('Express request bodies over FastCGI', () => {
  it('parses a form with express.urlencoded()', async () => {
    const app = express();
    app.use(express.urlencoded());
    app.post('/form', (req, res) => {
      res.json(req.body);
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/form', {
      method: 'POST',
      body: new URLSearchParams({ title: 'Héllo & bye', tag: 'x' }),
    });

    expect(await response.json()).toEqual({ title: 'Héllo & bye', tag: 'x' });
  });

  it('receives a multipart upload with multer, file bytes and fields intact', async () => {
    const upload = multer({ storage: multer.memoryStorage() });
    const app = express();
    app.post('/upload', upload.single('file'), (req, res) => {
      const file = req.file as Express.Multer.File;
      res.json({
        caption: req.body.caption,
        name: file.originalname,
        type: file.mimetype,
        size: file.size,
        sum: file.buffer.reduce((total, byte) => total + byte, 0),
      });
    });
    const { client } = await harness.start(app);
    // Larger than one STDIN record (65535 bytes), so the body arrives in several chunks.
    const bytes = new Uint8Array(200_000).map((_, index) => index % 251);
    const form = new FormData();
    form.append('caption', 'a photo');
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'photo.png');

    const response = await client.fetch('/upload', { method: 'POST', body: form });

    expect(await response.json()).toEqual({
      caption: 'a photo',
      name: 'photo.png',
      type: 'image/png',
      size: bytes.length,
      sum: bytes.reduce((total, byte) => total + byte, 0),
    });
  });

  it('streams the request body to `for await` in more than one chunk', async () => {
    const app = express();
    app.put('/raw', async (req, res) => {
      let length = 0;
      let chunks = 0;
      for await (const chunk of req) {
        length += (chunk as Buffer).length;
        chunks += 1;
      }
      res.json({ length, chunks });
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/raw', { method: 'PUT', body: new Uint8Array(300_000) });

    const { length, chunks } = (await response.json()) as { length: number; chunks: number };
    expect(length).toBe(300_000);
    expect(chunks).toBeGreaterThan(1);
  });

  it('pipes the request body with req.pipe()', async () => {
    const app = express();
    app.post('/echo', (req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      req.pipe(res);
    });
    const { client } = await harness.start(app);
    const bytes = new Uint8Array(150_000).map((_, index) => index % 13);

    const response = await client.fetch('/echo', { method: 'POST', body: bytes });

    // Digests, not the bytes: a deep comparison of 150 kB would dominate the test's run time.
    expect(sha256(await response.arrayBuffer())).toBe(sha256(bytes));
  });
});
