import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type FcgiClient } from '@fcgi/client';
import type { ServeResult } from '@fcgi/responder';

export interface Running {
  client: FcgiClient;
  server: ServeResult;
}

/**
 * Starts a server on a unix socket in a fresh temp dir and a client for it; `stop()` closes both and
 * removes the dir. Tests call `stop` from afterEach so a failing test cleans up too.
 */
export function fastcgiHarness(name = 'test') {
  const cleanups: Array<() => Promise<void>> = [];
  return {
    async start(listen: (socketPath: string) => Promise<ServeResult>): Promise<Running> {
      const dir = await mkdtemp(join(tmpdir(), `fcgi-${name}-test-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const socketPath = join(dir, 'app.sock');
      const server = await listen(socketPath);
      cleanups.push(() => server.close());
      const client = createClient(socketPath);
      cleanups.push(() => client.close());
      return { client, server };
    },
    async stop(): Promise<void> {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}

/** Reads a streamed body chunk by chunk, giving each decoded chunk with the time it arrived. */
export async function* chunksOf(response: Response): AsyncGenerator<{ text: string; at: number }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield { text: value, at: performance.now() };
    }
  } finally {
    reader.releaseLock();
  }
}

/** A promise with its resolve function, for a test to hand a server handler a go-ahead. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
