import { chunksOf, fastcgiHarness, signal } from '@fcgi/test-utils';
import { Hono } from 'hono';
import { stream, streamSSE } from 'hono/streaming';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../src/index';

const harness = fastcgiHarness('hono');
afterEach(() => harness.stop());

/**
 * Each server-side write waits for the test to have received the previous one, so a response that
 * was held back in a buffer until the handler finished could never complete: these tests prove that
 * every event reaches the client while the handler is still running.
 */
function gates(count: number) {
  return Array.from({ length: count }, () => signal());
}

describe('streaming helpers', () => {
  it('delivers streamSSE events one by one while the handler is still writing', async () => {
    const received = gates(3);
    const app = new Hono();
    app.get('/events', (c) =>
      streamSSE(c, async (sse) => {
        for (let i = 0; i < received.length; i++) {
          await sse.writeSSE({ id: String(i + 1), event: 'tick', data: `event ${i + 1}` });
          await received[i]!.promise;
        }
      }),
    );
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/events');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events: string[] = [];
    let buffered = '';
    for await (const { text } of chunksOf(response)) {
      buffered += text;
      let end = buffered.indexOf('\n\n');
      while (end !== -1) {
        events.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        received[events.length - 1]!.resolve();
        end = buffered.indexOf('\n\n');
      }
    }

    expect(events).toEqual([
      'event: tick\ndata: event 1\nid: 1',
      'event: tick\ndata: event 2\nid: 2',
      'event: tick\ndata: event 3\nid: 3',
    ]);
  });

  it('delivers each stream() write before the next one is made', async () => {
    const received = gates(3);
    const app = new Hono();
    app.get('/chunks', (c) =>
      stream(c, async (out) => {
        for (let i = 0; i < received.length; i++) {
          await out.write(`chunk ${i + 1};`);
          await received[i]!.promise;
        }
      }),
    );
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/chunks');
    let body = '';
    for await (const { text } of chunksOf(response)) {
      body += text;
      const complete = body.split(';').length - 1;
      for (let i = 0; i < complete; i++) received[i]!.resolve();
    }

    expect(body).toBe('chunk 1;chunk 2;chunk 3;');
  });

  it('leaves the HTTP framing to the web server: no Transfer-Encoding or Connection header', async () => {
    // Hono's streaming helpers set both for Node's http module. A web server that trusts them would
    // try to de-chunk the plain body: Caddy 2.6 then fails with "invalid byte in chunk length".
    const app = new Hono();
    app.get('/events', (c) => streamSSE(c, (sse) => sse.writeSSE({ data: 'only' })));
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const response = await client.fetch('/events');

    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe('data: only\n\n');
  });

  it("runs the stream's onAbort callback when the client goes away mid-stream", async () => {
    const aborted = signal();
    const firstWritten = signal();
    const app = new Hono();
    app.get('/endless', (c) =>
      stream(c, async (out) => {
        out.onAbort(() => aborted.resolve());
        await out.write('first;');
        firstWritten.resolve();
        await aborted.promise;
      }),
    );
    const { client } = await harness.start((socketPath) => serve(app, { socketPath }));

    const controller = new AbortController();
    const response = await client.fetch('/endless', { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await firstWritten.promise;
    controller.abort();
    await reader.cancel().catch(() => undefined);

    await aborted.promise;
  });
});
