// One connection to the server, as a test peer sees it: bytes written with backpressure, the records
// that come back decoded (or, for a peer that never reads, not read at all), and how it ended.
import { connect, type Socket } from 'node:net';
import { type FcgiRecord, RecordDecoder } from '@fcgi/protocol';

export interface PeerOptions {
  /** Read and decode what the server sends. A peer that never reads leaves it in the kernel. */
  read?: boolean;
}

export type WriteResult = 'written' | 'closed' | 'stalled';

export class Peer {
  /** Every record received, in order (empty for a peer that does not read). */
  readonly records: FcgiRecord[] = [];
  /** Set when the server's bytes did not decode as FastCGI records. */
  framingError: Error | undefined;
  /** The socket error that ended the connection, if any (ECONNRESET, EPIPE, ...). */
  error: NodeJS.ErrnoException | undefined;
  readonly closed: Promise<void>;
  #open = true;
  #lastData = Date.now();
  readonly #decoder = new RecordDecoder();
  #waiters: Array<() => void> = [];

  private constructor(
    readonly socket: Socket,
    options: PeerOptions,
  ) {
    if (options.read === false) socket.pause();
    else socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#open = false;
        this.#notify();
        resolve();
      });
    });
  }

  /** Connects to a unix socket; rejects with the connect error (ECONNREFUSED, EAGAIN, ...). */
  static open(path: string, options: PeerOptions = {}): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      const onError = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new Peer(socket, options));
      });
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Milliseconds since the server last sent anything (or since the connection opened). */
  get quietMs(): number {
    return Date.now() - this.#lastData;
  }

  /**
   * Writes `bytes` and resolves once the socket has taken them (its buffer drained): "written", or
   * "closed" if the connection is gone, or "stalled" if the server took nothing for `stallMs` (it has
   * stopped reading).
   */
  write(bytes: Uint8Array | readonly Uint8Array[], stallMs = Number.POSITIVE_INFINITY): Promise<WriteResult> {
    if (!this.#open || this.socket.destroyed || this.socket.writableEnded) return Promise.resolve('closed');
    const data = bytes instanceof Uint8Array ? bytes : Buffer.concat(bytes);
    if (this.socket.write(data)) return Promise.resolve('written');
    return new Promise((resolve) => {
      const done = (result: WriteResult) => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(result);
      };
      const onDrain = () => done('written');
      const onClose = () => done('closed');
      const timer = Number.isFinite(stallMs) ? setTimeout(() => done('stalled'), stallMs) : undefined;
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /** Ends our side of the connection (the server may still answer). */
  end(): void {
    if (this.#open) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Resolves true once `predicate` holds for the records received, false if the connection closes or
   * `timeoutMs` passes first.
   */
  async waitFor(predicate: (records: readonly FcgiRecord[]) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.records)) {
      const left = deadline - Date.now();
      if (!this.#open || left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Resolves true when the connection closes within `timeoutMs`, false otherwise. */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      void this.closed.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #receive(chunk: Buffer): void {
    this.#lastData = Date.now();
    if (this.framingError) return;
    try {
      for (const record of this.#decoder.push(chunk)) {
        this.records.push({ ...record, content: Buffer.from(record.content) });
      }
    } catch (error) {
      this.framingError = error as Error;
    }
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
