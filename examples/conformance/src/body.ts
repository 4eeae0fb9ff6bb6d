/** Consuming request bodies as they arrive, never holding them whole. */

import { createHash } from 'node:crypto';

export interface BodyDigest {
  length: number;
  sha256: string;
}

async function forEachChunk(body: ReadableStream<Uint8Array> | null, onChunk: (chunk: Uint8Array) => void) {
  if (!body) return;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onChunk(value);
  }
}

/** Reads and discards the body, returning how many bytes it had. */
export async function countBody(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let length = 0;
  await forEachChunk(body, (chunk) => {
    length += chunk.byteLength;
  });
  return length;
}

/** Hashes the body chunk by chunk. */
export async function digestBody(body: ReadableStream<Uint8Array> | null): Promise<BodyDigest> {
  const hash = createHash('sha256');
  let length = 0;
  await forEachChunk(body, (chunk) => {
    length += chunk.byteLength;
    hash.update(chunk);
  });
  return { length, sha256: hash.digest('hex') };
}
