import { afterEach } from 'vitest';
import { type Handler, type ServeOptions, type ServeResult, serve } from '../../src/index';
import { RawClient } from './fcgi-client';
import { tempDir } from './temp';

/**
 * Per-test servers and clients on unix sockets in a temp dir, all torn down after each test.
 * `errors` collects everything passed to onError (unless the test brings its own onError).
 */
export function useServers() {
  const started: ServeResult[] = [];
  const clients: RawClient[] = [];
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  const errors: Error[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(started.splice(0).map((server) => server.close()));
    for (const dir of dirs.splice(0)) dir.remove();
    errors.length = 0;
  });
  return {
    errors,
    async start(
      handler: Handler,
      options: ServeOptions = {},
    ): Promise<{ server: ServeResult; path: string }> {
      const dir = tempDir();
      dirs.push(dir);
      const path = dir.socket();
      const server = await serve(handler, {
        onError: (error) => {
          errors.push(error);
        },
        closeTimeout: 2000,
        ...options,
        socketPath: path,
      });
      started.push(server);
      return { server, path };
    },
    async connect(path: string): Promise<RawClient> {
      const client = await RawClient.connect(path);
      clients.push(client);
      return client;
    },
    track(server: ServeResult): void {
      started.push(server);
    },
    tempDir(): ReturnType<typeof tempDir> {
      const dir = tempDir();
      dirs.push(dir);
      return dir;
    },
  };
}

/** A promise with its resolve function, for handing events between a handler and a test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function nextEvent(target: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (target.aborted) resolve();
    else target.addEventListener('abort', () => resolve(), { once: true });
  });
}
