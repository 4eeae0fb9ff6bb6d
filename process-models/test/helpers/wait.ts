import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `check` until it returns something other than undefined/false, or fails saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 50 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export type Endpoint = { path: string } | { port: number; host?: string };

export function describeEndpoint(endpoint: Endpoint): string {
  return 'path' in endpoint ? endpoint.path : `${endpoint.host ?? '127.0.0.1'}:${endpoint.port}`;
}

export function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(
      'path' in endpoint
        ? { path: endpoint.path }
        : { port: endpoint.port, host: endpoint.host ?? '127.0.0.1' },
    );
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export function waitForListening(endpoint: Endpoint, options?: WaitOptions): Promise<true> {
  return waitFor(`${describeEndpoint(endpoint)} to accept connections`, () => canConnect(endpoint), options);
}

/** Just the path existing: for activators that start the app on the first connection. */
export function waitForFile(path: string, options?: WaitOptions): Promise<true> {
  return waitFor(`${path} to exist`, () => existsSync(path), options);
}

export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Waits until the log file has a line matching `pattern` and returns that line. */
export function waitForLogLine(path: string, pattern: RegExp, options?: WaitOptions): Promise<string> {
  return waitFor(
    `a line matching ${pattern} in ${path}`,
    () =>
      readText(path)
        .split('\n')
        .find((line) => pattern.test(line)),
    options,
  );
}
