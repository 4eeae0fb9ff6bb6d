/** Waiting for a condition that has no event to await (a port opened by another process). */

import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Included in the timeout error, e.g. "nginx to listen on 127.0.0.1:4321". */
  what: string;
  /** Checked on every round: a reason to stop waiting early (e.g. the process exited). */
  abortIf?: () => string | undefined;
}

export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  options: WaitOptions,
): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 50, what } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const reason = options.abortIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export type Endpoint = { socketPath: string } | { host: string; port: number };

/** True when a connection to the endpoint is accepted (then closed at once). */
export function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      'socketPath' in endpoint ? connect(endpoint.socketPath) : connect(endpoint.port, endpoint.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function describeEndpoint(endpoint: Endpoint): string {
  return 'socketPath' in endpoint ? `unix:${endpoint.socketPath}` : `${endpoint.host}:${endpoint.port}`;
}
