import type { AddressInfo } from 'node:net';

/** What the primary tells each worker to listen on, resolved once so that all workers share it. */
export type PoolTransport =
  | { socketPath: string; socketMode?: number }
  | { port: number; host: string }
  | { inheritedFd: number }
  /** What serve() picks with no transport: fd 0 if it is a listening socket, else a free loopback port. */
  | { fromParent: true };

/** Environment variables that turn a cluster worker into a pool worker and carry its transport. */
export const POOL_ENV = 'FCGI_CLI_POOL_TRANSPORT';

export type WorkerMessage = { type: 'fcgi:listening'; address: AddressInfo | string | null };
export type PrimaryMessage = { type: 'fcgi:shutdown' };

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
