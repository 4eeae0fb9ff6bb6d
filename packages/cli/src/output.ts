import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Copies a response body to `out` chunk by chunk, waiting for 'drain' when the stream is full. */
export async function writeBody(body: ReadableStream<Uint8Array> | null, out: Writable): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!out.write(value)) await once(out, 'drain');
    }
  } finally {
    reader.releaseLock();
  }
}
