import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a process gets to start listening, and any other wait, unless a caller says otherwise. */
export const DEFAULT_WAIT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
const CONNECT_TIMEOUT_MS = 2_000;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked on every round: a reason to stop waiting early (e.g. the process exited). */
  abortIf?: () => string | undefined;
}

/**
 * Polls `check` (for a condition that has no event to await, such as a port another process opens)
 * until it returns something other than undefined or false, and returns that; fails saying `what` it
 * waited for.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = DEFAULT_WAIT_MS, intervalMs = POLL_INTERVAL_MS } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    const reason = options.abortIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A unix socket, or a TCP port (on 127.0.0.1 unless `host` says otherwise). */
export type Endpoint = { socketPath: string } | { port: number; host?: string };

export function describeEndpoint(endpoint: Endpoint): string {
  return 'socketPath' in endpoint
    ? `unix:${endpoint.socketPath}`
    : `${endpoint.host ?? '127.0.0.1'}:${endpoint.port}`;
}

/** True when a connection to the endpoint is accepted (then closed at once). */
export function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      'socketPath' in endpoint
        ? connect(endpoint.socketPath)
        : connect(endpoint.port, endpoint.host ?? '127.0.0.1');
    socket.setTimeout(CONNECT_TIMEOUT_MS);
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

/** A log file's text so far ('' before it exists). */
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
