import { Readable } from 'node:stream';
import { signal } from '@fcgi/test-utils';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { nodeHarness } from './helpers';

const harness = nodeHarness('node-express-streaming');
const CHUNK = Buffer.alloc(64 * 1024, 'x');
// Far more than every buffer between the app and a client that does not read (bridge, responder,
// kernel socket, client) can hold: write() must have returned false long before this.
const WRITE_LIMIT = 64 * 1024 * 1024;

/** Reads the next `\n\n`-terminated server-sent event from a reader of decoded text. */
async function nextEvent(reader: ReadableStreamDefaultReader<string>, pending: { text: string }) {
  for (;;) {
    const end = pending.text.indexOf('\n\n');
    if (end !== -1) {
      const event = pending.text.slice(0, end);
      pending.text = pending.text.slice(end + 2);
      return event;
    }
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended inside an event: ${JSON.stringify(pending.text)}`);
    pending.text += value;
  }
}

describe('Express streaming responses over FastCGI', () => {
  it('sends the head on res.flushHeaders() before any body is written', async () => {
    const goAhead = signal();
    const app = express();
    app.get('/slow', async (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.flushHeaders();
      await goAhead.promise;
      res.end('late body');
    });
    const { client } = await harness.start(app);

    // fetch() resolves on the head; the body is only written after the test has seen it.
    const response = await client.fetch('/slow');
    goAhead.resolve();

    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('late body');
  });

  it('delivers server-sent events one by one while the response is still open', async () => {
    const received = [signal(), signal()];
    const app = express();
    app.get('/events', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const [index, seen] of received.entries()) {
        res.write(`id: ${index}\ndata: tick ${index}\n\n`);
        // The next event is written only once the client has read this one.
        await seen.promise;
      }
      res.end('data: bye\n\n');
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/events');
    const reader = (response.body as ReadableStream<Uint8Array<ArrayBuffer>>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    const pending = { text: '' };
    const events: string[] = [];
    for (const seen of received) {
      events.push(await nextEvent(reader, pending));
      seen.resolve();
    }
    events.push(await nextEvent(reader, pending));

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(events).toEqual(['id: 0\ndata: tick 0', 'id: 1\ndata: tick 1', 'data: bye']);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it("returns false from res.write() while the client is not reading, then emits 'drain'", async () => {
    const blocked = signal<number>();
    const drained = signal();
    const app = express();
    app.get('/big', (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      let written = 0;
      while (written < WRITE_LIMIT) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) break;
      }
      blocked.resolve(written);
      res.once('drain', () => {
        drained.resolve();
        res.end();
      });
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/big');
    const writtenBeforeFalse = await blocked.promise;
    const body = await response.arrayBuffer();
    await drained.promise;

    expect(writtenBeforeFalse).toBeLessThan(WRITE_LIMIT);
    expect(body.byteLength).toBe(writtenBeforeFalse);
  });

  it('streams a readable piped into res at the pace the client reads', async () => {
    const app = express();
    app.get('/piped', (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      Readable.from(
        (function* () {
          for (let index = 0; index < 64; index++) yield CHUNK;
        })(),
      ).pipe(res);
    });
    const { client } = await harness.start(app);

    const response = await client.fetch('/piped');

    expect((await response.arrayBuffer()).byteLength).toBe(64 * CHUNK.length);
  });
});
