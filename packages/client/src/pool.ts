import { FcgiClientError } from './errors';
import { enqueueWaiter, type Waiter } from './waiters';

/** What the pool needs from a connection. */
export interface Poolable {
  /** Whether the connection can carry another request (open, idle, and the last request ended cleanly). */
  readonly reusable: boolean;
  destroy(): void;
}

export interface Lease<T> {
  readonly connection: T;
  /** True when the connection already carried a request: the server may have closed it meanwhile. */
  readonly reused: boolean;
}

/**
 * What becomes of a reusable connection nobody is waiting for: `true` keeps it idle, `false` closes it,
 * and a number of milliseconds keeps it idle for now and asks again after that delay if it is still idle.
 */
export type ParkDecision = boolean | number;

/** Decides a released connection's fate; `busy` are the connections still carrying requests. */
export type ParkPolicy<T> = (connection: T, busy: Iterable<T>) => ParkDecision;

/**
 * A bounded set of keep-alive connections. At most `size` connections exist at once (idle, busy or
 * connecting); a request that finds none free waits in FIFO order. Idle connections are handed out
 * most-recently-used first, so the least used ones are the ones a server's idle timeout closes.
 */
export class Pool<T extends Poolable> {
  readonly #size: number;
  readonly #create: () => Promise<T>;
  readonly #shouldPark: ParkPolicy<T>;
  readonly #idleTimeout: number;
  readonly #maxQueued: number;
  readonly #idleTimers = new Map<T, NodeJS.Timeout>();
  /** Idle connections whose ParkPolicy asked to be consulted again later. */
  readonly #recheckTimers = new Map<T, NodeJS.Timeout>();
  readonly #all = new Set<T>();
  readonly #idle: T[] = [];
  readonly #waiters: Array<Waiter<Lease<T>>> = [];
  #pending = 0;
  #closed = false;
  #drained: (() => void) | undefined;

  /**
   * `shouldPark` decides whether a reusable connection nobody is waiting for is kept idle or closed
   * (see ParkDecision); it sees the connections still busy. Default: always kept. A connection idle for
   * `idleTimeout` ms (0: forever) is closed. Beyond `maxQueued` waiting requests, acquire() rejects
   * with QUEUE_FULL.
   */
  constructor(
    size: number,
    create: () => Promise<T>,
    shouldPark: ParkPolicy<T> = () => true,
    idleTimeout = 0,
    maxQueued = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`poolSize must be a positive integer, got ${size}`);
    }
    this.#size = size;
    this.#create = create;
    this.#shouldPark = shouldPark;
    this.#idleTimeout = idleTimeout;
    this.#maxQueued = maxQueued;
  }

  /** Connections that exist right now, busy or idle (not counting ones still connecting). */
  get size(): number {
    return this.#all.size;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  acquire(signal?: AbortSignal): Promise<Lease<T>> {
    if (this.#closed) {
      return Promise.reject(new FcgiClientError('CLIENT_CLOSED', 'The FastCGI client is closed'));
    }
    const idle = this.#takeIdle();
    if (idle) return Promise.resolve({ connection: idle, reused: true });
    if (this.#all.size + this.#pending < this.#size) return this.#openUnlessAborted(signal);
    if (this.#waiters.length >= this.#maxQueued) {
      return Promise.reject(
        new FcgiClientError(
          'QUEUE_FULL',
          `${this.#waiters.length} FastCGI requests are already waiting for a connection (maxQueuedRequests)`,
        ),
      );
    }
    return enqueueWaiter(this.#waiters, signal, (waiter) => this.#removeWaiter(waiter));
  }

  /** Gives a connection back after a request: kept when reusable, destroyed otherwise. */
  release(connection: T): void {
    if (!this.#all.has(connection)) return;
    if (!connection.reusable) {
      this.discard(connection);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.detach();
      waiter.resolve({ connection, reused: true });
    } else if (this.#closed) {
      this.discard(connection);
    } else {
      this.#park(connection);
      this.#consultPolicy(connection);
    }
  }

  /** Forgets a connection (closed by the server, broken, or not reusable) and frees its slot. */
  discard(connection: T): void {
    if (!this.#all.delete(connection)) return;
    const index = this.#idle.indexOf(connection);
    if (index >= 0) this.#idle.splice(index, 1);
    this.#clearTimers(connection);
    connection.destroy();
    this.#serveWaiter();
    this.#checkDrained();
  }

  /** Destroys every idle connection; busy ones are left alone. */
  closeIdle(): void {
    for (const connection of this.#idle.splice(0)) this.discard(connection);
  }

  /**
   * Stops accepting requests and destroys idle connections. Requests already admitted (busy or queued)
   * run to completion; the promise resolves once every connection is gone.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.closeIdle();
    return new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
  }

  #park(connection: T): void {
    this.#idle.push(connection);
    if (this.#idleTimeout > 0) {
      const timer = setTimeout(() => this.discard(connection), this.#idleTimeout);
      timer.unref();
      this.#idleTimers.set(connection, timer);
    }
  }

  /** Applies the ParkPolicy to a connection just parked (or still idle when it asked to be consulted). */
  #consultPolicy(connection: T): void {
    const decision = this.#shouldPark(connection, this.#busy());
    if (decision === false) {
      this.discard(connection);
    } else if (typeof decision === 'number') {
      const timer = setTimeout(() => {
        this.#recheckTimers.delete(connection);
        this.#consultPolicy(connection);
      }, decision);
      timer.unref();
      this.#recheckTimers.set(connection, timer);
    }
  }

  #clearTimers(connection: T): void {
    for (const timers of [this.#idleTimers, this.#recheckTimers]) {
      const timer = timers.get(connection);
      if (timer === undefined) continue;
      clearTimeout(timer);
      timers.delete(connection);
    }
  }

  *#busy(): Generator<T> {
    for (const connection of this.#all) if (!this.#idle.includes(connection)) yield connection;
  }

  #takeIdle(): T | undefined {
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined) return undefined;
      this.#clearTimers(connection);
      if (connection.reusable) return connection;
      this.discard(connection);
    }
  }

  #open(): Promise<Lease<T>> {
    this.#pending++;
    return this.#create().then(
      (connection) => {
        this.#pending--;
        this.#all.add(connection);
        return { connection, reused: false };
      },
      (error: unknown) => {
        this.#pending--;
        this.#serveWaiter();
        this.#checkDrained();
        throw error;
      },
    );
  }

  /** Rejects as soon as `signal` aborts; a connection that opens afterwards goes to the idle list. */
  #openUnlessAborted(signal: AbortSignal | undefined): Promise<Lease<T>> {
    const opening = this.#open();
    if (!signal) return opening;
    return new Promise<Lease<T>>((resolve, reject) => {
      const onAbort = () =>
        reject(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      signal.addEventListener('abort', onAbort, { once: true });
      opening.then(
        (lease) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) this.release(lease.connection);
          else resolve(lease);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  #serveWaiter(): void {
    if (this.#all.size + this.#pending >= this.#size) return;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    waiter.detach();
    this.#open().then(waiter.resolve, waiter.reject);
  }

  #removeWaiter(waiter: Waiter<Lease<T>>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#drained && this.#all.size === 0 && this.#pending === 0 && this.#waiters.length === 0) {
      const resolve = this.#drained;
      this.#drained = undefined;
      resolve();
    }
  }
}
