/** The /stream body: EVENT_COUNT server-sent events, the first at once, then one every EVENT_INTERVAL_MS. */

import { setTimeout as sleep } from 'node:timers/promises';

export const EVENT_COUNT = 5;
export const EVENT_INTERVAL_MS = 200;

const encoder = new TextEncoder();

export function formatEvent(id: number): string {
  return `id: ${id}\ndata: event ${id}\n\n`;
}

/**
 * Each event is enqueued on its own, and only when the consumer has taken the previous one, so the
 * responder writes it to the web server at once. Stops when `signal` aborts or the consumer cancels.
 */
export function eventStream(signal: AbortSignal): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (sent > 0) {
          try {
            await sleep(EVENT_INTERVAL_MS, undefined, { signal: stop.signal });
          } catch {
            return; // cancelled or aborted: the consumer is gone, so nothing more is enqueued
          }
        }
        sent += 1;
        controller.enqueue(encoder.encode(formatEvent(sent)));
        if (sent === EVENT_COUNT) {
          signal.removeEventListener('abort', onAbort);
          controller.close();
        }
      },
      cancel() {
        signal.removeEventListener('abort', onAbort);
        stop.abort();
      },
    },
    { highWaterMark: 0 },
  );
}
