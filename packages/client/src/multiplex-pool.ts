import { FcgiClientError } from './errors';
import type { Lease } from './pool';
import { enqueueWaiter, type Waiter } from './waiters';

/** What the multiplexing pool needs from a connection. */
export interface Multiplexable {
  /** Whether new requests may start on it (open, and not barred by an earlier request). */
  readonly acceptsRequests: boolean;
  destroy(): void;
}

export interface MultiplexPoolOptions {
  /** Most connections open at once (connecting ones included). */
  readonly size: number;
  /** Most requests in flight at once on one connection. */
  readonly perConnection: number;
  /** Ms a connection with no request in flight stays open; 0 keeps it until close(). */
  readonly idleTimeout?: number;
  /** Most acquire() calls waiting at once; beyond it acquire() rejects with QUEUE_FULL. */
  readonly maxQueued?: number;
}

interface Usage {
  /** Leases handed out and not yet released. */
  active: number;
  /** Leases released: a connection that completed a request may since have been closed by the server. */
  completed: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Leases request slots on shared connections: each connection carries up to `perConnection` requests
 * at once. Requests fill the oldest connection with room first, so traffic stays on as few connections
 * as possible; another connection is opened only when those open (and opening) cannot take the waiting
 * requests. Waiting requests are served in FIFO order.
 */
export class MultiplexPool<T extends Multiplexable> {
  readonly #create: () => Promise<T>;
  readonly #size: number;
  readonly #perConnection: number;
  readonly #idleTimeout: number;
  readonly #maxQueued: number;
  /** In opening order, which is the order requests fill them. */
  readonly #connections = new Map<T, Usage>();
  readonly #waiters: Array<Waiter<Lease<T>>> = [];
  #opening = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(create: () => Promise<T>, options: MultiplexPoolOptions) {
    for (const [name, value] of [
      ['poolSize', options.size],
      ['maxMultiplexedRequests', options.perConnection],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    this.#create = create;
    this.#size = options.size;
    this.#perConnection = options.perConnection;
    this.#idleTimeout = options.idleTimeout ?? 0;
    this.#maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY;
  }

  /** Connections that exist right now (not counting ones still connecting). */
  get size(): number {
    return this.#connections.size;
  }

  /** Requests in flight on `connection` through this pool. */
  activeOn(connection: T): number {
    return this.#connections.get(connection)?.active ?? 0;
  }

  acquire(signal?: AbortSignal): Promise<Lease<T>> {
    if (this.#closing) {
      return Promise.reject(new FcgiClientError('CLIENT_CLOSED', 'The FastCGI client is closed'));
    }
    if (this.#waiters.length === 0) {
      const lease = this.#lease();
      if (lease) return Promise.resolve(lease);
    }
    const leased = enqueueWaiter(this.#waiters, signal, (waiter) => this.#removeWaiter(waiter));
    this.#openIfNeeded();
    // Requests that a connection being opened will take are not queued: they only wait for it.
    const queued = this.#waiters.length - this.#opening * this.#perConnection;
    if (queued > this.#maxQueued) {
      const waiter = this.#waiters.pop()!;
      waiter.detach();
      waiter.reject(
        new FcgiClientError(
          'QUEUE_FULL',
          `${queued - 1} FastCGI requests are already waiting for a connection (maxQueuedRequests)`,
        ),
      );
    }
    return leased;
  }

  /** Gives a request slot back; the connection is closed once it is barred and carries nothing. */
  release(connection: T): void {
    const usage = this.#connections.get(connection);
    if (!usage) return;
    usage.active--;
    usage.completed++;
    if (!connection.acceptsRequests) {
      if (usage.active === 0) this.discard(connection);
      else this.#openIfNeeded();
      return;
    }
    this.#serveWaiters();
    if (usage.active > 0) return;
    if (this.#closing) this.discard(connection);
    else this.#park(connection, usage);
  }

  /** Forgets a connection (closed by the server or broken) and frees its slots. */
  discard(connection: T): void {
    const usage = this.#connections.get(connection);
    if (!usage) return;
    this.#connections.delete(connection);
    if (usage.idleTimer) clearTimeout(usage.idleTimer);
    connection.destroy();
    this.#serveWaiters();
    this.#checkDrained();
  }

  /**
   * Stops accepting requests and closes connections that carry none. Requests in flight run to
   * completion, and so do waiting ones unless `rejectWaiting` is given: then they reject with it at
   * once (to be sent some other way). Resolves once every connection is gone.
   */
  close(rejectWaiting?: unknown): Promise<void> {
    if (rejectWaiting !== undefined) {
      for (const waiter of this.#waiters.splice(0)) {
        waiter.detach();
        waiter.reject(rejectWaiting);
      }
    }
    this.#closing ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
      for (const [connection, usage] of [...this.#connections]) {
        if (usage.active === 0) this.discard(connection);
      }
      this.#checkDrained();
    });
    return this.#closing;
  }

  /** A slot on the oldest connection that has room. */
  #lease(): Lease<T> | undefined {
    for (const [connection, usage] of this.#connections) {
      if (usage.active >= this.#perConnection || !connection.acceptsRequests) continue;
      if (usage.idleTimer) {
        clearTimeout(usage.idleTimer);
        usage.idleTimer = undefined;
      }
      usage.active++;
      return { connection, reused: usage.completed > 0 };
    }
    return undefined;
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0) {
      const lease = this.#lease();
      if (!lease) break;
      const waiter = this.#waiters.shift()!;
      waiter.detach();
      waiter.resolve(lease);
    }
    this.#openIfNeeded();
  }

  /** Opens connections while the waiting requests exceed what the connections being opened will take. */
  #openIfNeeded(): void {
    while (
      this.#waiters.length > this.#opening * this.#perConnection &&
      this.#connections.size + this.#opening < this.#size
    ) {
      this.#open();
    }
  }

  #open(): void {
    this.#opening++;
    this.#create().then(
      (connection) => {
        this.#opening--;
        const usage: Usage = { active: 0, completed: 0, idleTimer: undefined };
        this.#connections.set(connection, usage);
        this.#serveWaiters();
        if (usage.active === 0) {
          if (this.#closing) this.discard(connection);
          else this.#park(connection, usage);
        }
      },
      (error: unknown) => {
        this.#opening--;
        // The requests that were counting on this connection share its failure.
        while (this.#waiters.length > this.#opening * this.#perConnection) {
          const waiter = this.#waiters.shift()!;
          waiter.detach();
          waiter.reject(error);
        }
        this.#checkDrained();
      },
    );
  }

  #park(connection: T, usage: Usage): void {
    if (this.#idleTimeout <= 0) return;
    const timer = setTimeout(() => this.discard(connection), this.#idleTimeout);
    timer.unref();
    usage.idleTimer = timer;
  }

  #removeWaiter(waiter: Waiter<Lease<T>>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#drained && this.#connections.size === 0 && this.#opening === 0 && this.#waiters.length === 0) {
      const resolve = this.#drained;
      this.#drained = undefined;
      resolve();
    }
  }
}
