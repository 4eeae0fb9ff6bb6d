import { signal } from '@fcgi/test-utils';
import cookieParser from 'cookie-parser';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-express-lifecycle');

interface CloseEvents {
  requestClosed: boolean;
  responseClosed: boolean;
  responseFinished: boolean;
}

/** Resolves once both req and res emitted 'close', with whether res had finished by then. */
function closeEvents(req: express.Request, res: express.Response): Promise<CloseEvents> {
  const requestClosed = new Promise<void>((resolve) => req.once('close', resolve));
  const responseClosed = new Promise<void>((resolve) => res.once('close', resolve));
  return Promise.all([requestClosed, responseClosed]).then(() => ({
    requestClosed: true,
    responseClosed: true,
    responseFinished: res.writableFinished,
  }));
}

describe('Express request lifecycle over FastCGI', () => {
  it("emits 'finish' and then 'close' on res for a completed response", async () => {
    const events = signal<string[]>();
    const app = express();
    app.get('/done', (_req, res) => {
      const seen: string[] = [];
      res.on('finish', () => seen.push('finish'));
      res.on('close', () => {
        seen.push('close');
        events.resolve(seen);
      });
      res.send('ok');
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/done');
    await response.text();

    expect(await events.promise).toEqual(['finish', 'close']);
  });

  it("emits 'close' on req and res when the web server aborts a request before its response", async () => {
    const closed = signal<CloseEvents>();
    const started = signal();
    const app = express();
    app.get('/hang', (req, res) => {
      closeEvents(req, res).then(closed.resolve);
      started.resolve();
    });
    const { client } = await harness.start(app);
    const controller = new AbortController();

    const response = client.fetch('/hang', { signal: controller.signal });
    await started.promise;
    controller.abort();

    await expect(response).rejects.toThrow();
    expect(await closed.promise).toEqual({
      requestClosed: true,
      responseClosed: true,
      responseFinished: false,
    });
  });

  it('does not report a request the web server aborted as a handler error', async () => {
    const closed = signal<CloseEvents>();
    const started = signal();
    const onError = vi.fn();
    const app = express();
    app.get('/hang', (req, res) => {
      closeEvents(req, res).then(closed.resolve);
      started.resolve();
    });
    const { client } = await harness.start(app, { onError });
    const controller = new AbortController();

    const response = client.fetch('/hang', { signal: controller.signal });
    await started.promise;
    controller.abort();
    await expect(response).rejects.toThrow();
    await closed.promise;
    // The responder settles the handler's outcome after the abort in a later turn.
    await new Promise((resolve) => setImmediate(resolve));

    expect(onError).not.toHaveBeenCalled();
  });

  it("emits 'aborted' on req when an upload is aborted midway", async () => {
    const aborted = signal<boolean>();
    const firstChunk = signal();
    const app = express();
    app.post('/upload', (req) => {
      req.once('data', () => firstChunk.resolve());
      req.once('aborted', () => aborted.resolve(req.complete));
    });
    const { client } = await harness.start(app);
    const controller = new AbortController();
    let pushChunk: () => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        pushChunk = () => stream.enqueue(new Uint8Array(1024));
      },
    });

    const response = client.fetch('/upload', {
      method: 'POST',
      body,
      signal: controller.signal,
      duplex: 'half',
    } as RequestInit);
    pushChunk();
    await firstChunk.promise;
    controller.abort();

    await expect(response).rejects.toThrow();
    // The body never ended: node:http marks such a request incomplete.
    expect(await aborted.promise).toBe(false);
  });

  it("emits 'close' with an unfinished res when the client aborts a streaming response", async () => {
    const closed = signal<CloseEvents>();
    const app = express();
    app.get('/ticks', (req, res) => {
      closeEvents(req, res).then(closed.resolve);
      res.setHeader('content-type', 'text/plain');
      res.flushHeaders();
      const timer = setInterval(() => res.write('tick\n'), 5);
      res.on('close', () => clearInterval(timer));
    });
    const { client } = await harness.start(app);
    const controller = new AbortController();

    const response = await client.fetch('/ticks', { signal: controller.signal });
    controller.abort();

    await expect(response.text()).rejects.toThrow();
    expect(await closed.promise).toEqual({
      requestClosed: true,
      responseClosed: true,
      responseFinished: false,
    });
  });

  it('answers 500 when an async handler rejects', async () => {
    const app = express();
    app.get('/async', async () => {
      await Promise.resolve();
      throw new Error('rejected');
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/async');

    expect(response.status).toBe(500);
    await response.arrayBuffer();
  });

  it("answers with an error middleware's status and body", async () => {
    const app = express();
    app.get('/teapot', () => {
      throw Object.assign(new Error('short and stout'), { status: 418 });
    });
    app.use(
      (
        error: Error & { status: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(error.status).json({ error: error.message });
      },
    );
    const { client } = await harness.start(app);

    const response = await client.fetch('/teapot');

    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ error: 'short and stout' });
  });

  it('cuts a response whose head went out when an error reaches Express, and serves the next request', async () => {
    const reported = signal<Error>();
    const app = express();
    app.get('/partial', (_req, res, next) => {
      res.setHeader('content-type', 'text/plain');
      res.write('half');
      setTimeout(() => next(new Error('failed midway')), 5);
    });
    app.get('/ok', (_req, res) => {
      res.send('fine');
    });
    const { client } = await harness.start(app, { onError: (error) => reported.resolve(error) });

    const partial = await client.fetch('/partial');
    const received = await partial.text();

    // Express destroys the socket of a response already started; over FastCGI the request ends with an
    // error appStatus after the bytes already sent, and the responder reports why.
    expect(received).toBe('half');
    expect(((await reported.promise).cause as Error).message).toBe(
      'The response was destroyed before it ended',
    );
    expect(await (await client.fetch('/ok')).text()).toBe('fine');
  });

  it('answers 500 when a plain listener throws before responding', async () => {
    const { client } = await harness.start(() => {
      throw new Error('listener failed');
    });

    const response = await client.fetch('/');

    expect(response.status).toBe(500);
    await response.arrayBuffer();
  });

  it('sends res.redirect() as 302 with a Location, and 301 when asked', async () => {
    const app = express();
    app.get('/old', (_req, res) => res.redirect('/new?from=old'));
    app.get('/moved', (_req, res) => res.redirect(301, 'https://example.org/'));
    const { client } = await harness.start(app);

    const found = await client.fetch('/old');
    const moved = await client.fetch('/moved');

    expect([found.status, found.headers.get('location')]).toEqual([302, '/new?from=old']);
    expect([moved.status, moved.headers.get('location')]).toEqual([301, 'https://example.org/']);
    await Promise.all([found.arrayBuffer(), moved.arrayBuffer()]);
  });

  it('reads request cookies with cookie-parser and clears one with res.clearCookie()', async () => {
    const app = express();
    app.use(cookieParser());
    app.get('/session', (req, res) => {
      res.clearCookie('old').json(req.cookies);
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/session', { headers: { cookie: 'sid=abc; theme=dark' } });

    expect(await response.json()).toEqual({ sid: 'abc', theme: 'dark' });
    expect(response.headers.getSetCookie()).toEqual(['old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
  });
});

describe("Express's trust proxy over FastCGI", () => {
  function proxyApp(): express.Express {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get('/client', (req, res) => {
      res.json({ ip: req.ip, protocol: req.protocol, secure: req.secure });
    });
    return app;
  }

  it('takes req.ip and req.protocol from X-Forwarded-* when REMOTE_ADDR is a trusted proxy', async () => {
    const { client } = await harness.start(proxyApp());

    const response = await client.fetch('/client', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      params: { REMOTE_ADDR: '127.0.0.1' },
    });

    expect(await response.json()).toEqual({ ip: '203.0.113.9', protocol: 'https', secure: true });
  });

  it('ignores X-Forwarded-* from an untrusted REMOTE_ADDR', async () => {
    const { client } = await harness.start(proxyApp());

    const response = await client.fetch('/client', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      params: { REMOTE_ADDR: '198.51.100.2' },
    });

    expect(await response.json()).toEqual({ ip: '198.51.100.2', protocol: 'http', secure: false });
  });

  it('reports req.secure when the web server sends HTTPS=on', async () => {
    const { client } = await harness.start(proxyApp());

    const response = await client.fetch('/client', { params: { REMOTE_ADDR: '198.51.100.2', HTTPS: 'on' } });

    expect(await response.json()).toEqual({ ip: '198.51.100.2', protocol: 'https', secure: true });
  });
});
