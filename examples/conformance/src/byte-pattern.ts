/**
 * The /bytes body: byte i is `i % PATTERN_MODULUS`, generated chunk by chunk only when the consumer
 * asks for more (a pull-based stream with no queue), so a 1 GiB response never sits in memory.
 */

export const PATTERN_MODULUS = 251;
export const PATTERN_CHUNK_BYTES = 64 * 1024;

// One chunk's worth of the pattern plus a full period, so any chunk is a slice starting at (offset % 251).
const pattern = Uint8Array.from(
  { length: PATTERN_CHUNK_BYTES + PATTERN_MODULUS },
  (_, i) => i % PATTERN_MODULUS,
);

export interface PatternStreamHooks {
  /** Called once when the consumer cancels before the last byte was produced. */
  onCancel?: () => void;
  /** Called once after the last chunk was enqueued. */
  onComplete?: () => void;
}

export function patternStream(length: number, hooks: PatternStreamHooks = {}): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const size = Math.min(PATTERN_CHUNK_BYTES, length - offset);
        const start = offset % PATTERN_MODULUS;
        // A fresh copy per chunk: the consumer may keep it queued for the socket after we move on.
        controller.enqueue(pattern.slice(start, start + size));
        offset += size;
        if (offset >= length) {
          controller.close();
          hooks.onComplete?.();
        }
      },
      cancel() {
        hooks.onCancel?.();
      },
    },
    { highWaterMark: 0 },
  );
}
