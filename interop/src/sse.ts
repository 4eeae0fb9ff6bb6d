/**
 * Receiving server-sent events with the time each one arrived, to tell a server that streams (events
 * spread out as the app writes them) from one that buffers (events together at the end).
 */

import type { IncomingMessage } from 'node:http';

export interface TimedEvent {
  text: string;
  /** ms since the response head arrived. */
  at: number;
}

/** Reads the response to its end, splitting it at blank lines into events stamped with their arrival. */
export async function readTimedEvents(response: IncomingMessage): Promise<TimedEvent[]> {
  const start = performance.now();
  const events: TimedEvent[] = [];
  let buffered = '';
  response.setEncoding('utf8');
  for await (const chunk of response) {
    const at = performance.now() - start;
    buffered += chunk as string;
    let end = buffered.indexOf('\n\n');
    while (end !== -1) {
      events.push({ text: buffered.slice(0, end + 2), at });
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
    }
  }
  if (buffered.length > 0) events.push({ text: buffered, at: performance.now() - start });
  return events;
}

/** How many separate arrivals the events came in: a new one starts `minGapMs` after the previous. */
export function countArrivals(events: readonly TimedEvent[], minGapMs: number): number {
  let arrivals = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    if (event.at - last >= minGapMs) arrivals += 1;
    last = event.at;
  }
  return arrivals;
}
