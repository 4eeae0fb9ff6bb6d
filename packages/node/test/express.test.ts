import express from 'express';
import { describe, expect, it } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-express');

describe('an Express 5 app over FastCGI', () => {
  it('sees req.method and the raw REQUEST_URI as req.url', async () => {
    const app = express();
    app.all('/{*rest}', (req, res) => {
      res.json({ method: req.method, url: req.url, query: req.query });
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/a%20b/c?x=1&x=2', { method: 'DELETE' });

    expect(await response.json()).toEqual({
      method: 'DELETE',
      url: '/a%20b/c?x=1&x=2',
      query: { x: ['1', '2'] },
    });
  });

  it('gives lower-case request headers, without doubling content-type', async () => {
    const app = express();
    app.post('/headers', (req, res) => {
      res.json(req.headers);
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/headers', {
      method: 'POST',
      headers: { 'X-Custom-Thing': 'yes', 'content-type': 'text/plain' },
      body: 'hi',
    });

    const headers = (await response.json()) as Record<string, unknown>;
    expect(headers['x-custom-thing']).toBe('yes');
    expect(headers['content-type']).toBe('text/plain');
    expect(headers['content-length']).toBe('2');
  });

  it('reads req.socket.remoteAddress and remotePort from REMOTE_ADDR and REMOTE_PORT', async () => {
    const app = express();
    app.get('/peer', (req, res) => {
      res.json({ address: req.socket.remoteAddress, port: req.socket.remotePort, ip: req.ip });
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/peer', {
      params: { REMOTE_ADDR: '203.0.113.7', REMOTE_PORT: '51234' },
    });

    expect(await response.json()).toEqual({ address: '203.0.113.7', port: 51234, ip: '203.0.113.7' });
  });

  it('parses JSON bodies with express.json()', async () => {
    const app = express();
    app.use(express.json());
    app.post('/items', (req, res) => {
      res.status(201).json({ created: req.body.name });
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kettle' }),
    });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ created: 'kettle' });
  });

  it('keeps each Set-Cookie header separate', async () => {
    const app = express();
    app.get('/login', (_req, res) => {
      res.cookie('a', '1').cookie('b', '2', { httpOnly: true }).send('ok');
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/login');

    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(await response.text()).toBe('ok');
  });

  it('answers 500 when a middleware throws, and the next request still works', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.get('/ok', (_req, res) => {
      res.send('fine');
    });
    const { client } = await harness.start(app);

    const failed = await client.fetch('/boom');
    await failed.arrayBuffer();
    const ok = await client.fetch('/ok');

    expect(failed.status).toBe(500);
    expect(await ok.text()).toBe('fine');
  });

  it('streams res.write() chunks before res.end()', async () => {
    const app = express();
    app.get('/stream', (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.write('one,');
      setTimeout(() => res.end('two'), 20);
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/stream');

    expect(await response.text()).toBe('one,two');
  });
});
