import type { IncomingMessage } from 'node:http';

/** Chunks queued ahead of the reader before the HTTP request is paused. */
const HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * The HTTP request body as a web stream whose cancel discards the rest of the body instead of
 * destroying the socket (what Readable.toWeb does): a body refused midway, for being over the size
 * limit, still gets its 413 answer on a connection that stays usable.
 */
export function drainableRequestBody(request: IncomingMessage): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        request.on('data', (chunk: Buffer) => {
          if (finished) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) request.pause();
        });
        request.once('end', () => {
          if (finished) return;
          finished = true;
          controller.close();
        });
        request.once('error', (error) => {
          if (finished) return;
          finished = true;
          controller.error(error);
        });
        request.once('close', () => {
          if (finished) return;
          finished = true;
          controller.error(new Error('the client closed the connection before the request body ended'));
        });
        request.pause();
      },
      pull() {
        request.resume();
      },
      cancel() {
        finished = true;
        request.resume();
      },
    },
    { highWaterMark: HIGH_WATER_MARK_BYTES, size: (chunk) => chunk.byteLength },
  );
}
