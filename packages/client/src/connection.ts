import { createConnection, type Socket } from 'node:net';
import { type FcgiRecord, RecordDecoder } from '@fcgi/protocol';
import { abortReason, FcgiClientError, timeoutError } from './errors';
import { describeTarget, type FcgiTarget } from './target';

/** Receives the records of one request id (or of management id 0) and the fate of its connection. */
export interface RecordSink {
  onRecord(record: FcgiRecord): void;
  /** The connection is gone: closed by the peer, failed, or the bytes could not be decoded. */
  onConnectionLost(error: FcgiClientError): void;
  /**
   * False while this request's consumer is behind and wants no more bytes for now. The socket is only
   * paused when no request on it wants bytes, so one slow reader never stalls the others. Default true.
   */
  readonly wantsData?: boolean;
}

export interface ConnectOptions {
  connectTimeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_REQUEST_ID = 0xffff;
/** Batches up to this size are copied into one buffer; larger ones (body views) go out as they are. */
const COALESCE_LIMIT = 16 * 1024;

/** Opens a socket to the target; rejects with CONNECT_FAILED, a TimeoutError or the signal's reason. */
export function connectSocket(target: FcgiTarget, options: ConnectOptions = {}): Promise<Socket> {
  const { connectTimeout, signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<Socket>((resolve, reject) => {
    const socket =
      target.kind === 'unix'
        ? createConnection({ path: target.path })
        : createConnection({ host: target.host, port: target.port });
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onConnect = () => {
      cleanup();
      if (target.kind === 'tcp') socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (error: Error) =>
      fail(
        new FcgiClientError(
          'CONNECT_FAILED',
          `Cannot connect to the FastCGI backend at ${describeTarget(target)}: ${error.message}`,
          { cause: error },
        ),
      );
    const onAbort = () => fail(abortReason(signal!));
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (connectTimeout !== undefined && connectTimeout > 0) {
      timer = setTimeout(
        () =>
          fail(
            timeoutError(
              `Connecting to the FastCGI backend at ${describeTarget(target)} took over ${connectTimeout} ms`,
            ),
          ),
        connectTimeout,
      );
    }
  });
}

/**
 * One socket to a backend: decodes its records and hands each to the request its id belongs to (one at
 * a time in the classic mode, many at once when multiplexing). Between requests it only watches for the
 * server closing it, so the pool can drop it.
 */
export class Connection {
  readonly target: FcgiTarget;
  readonly #socket: Socket;
  readonly #decoder = new RecordDecoder();
  readonly #sinks = new Map<number, RecordSink>();
  #drainWaiters: Array<{ resolve: () => void; reject: (error: FcgiClientError) => void }> = [];
  #closed = false;
  #lastRequestId = 0;
  /** Multiplexed ids: handed out from 1 upwards, and freed ones are handed out again first. */
  readonly #allocatedIds = new Set<number>();
  readonly #freeIds: number[] = [];
  #nextFreshId = 1;
  #receivedAny = false;
  /** When the socket connected, on the performance.now() clock. */
  readonly openedAt = performance.now();
  /** False once a request left the connection in a state where another request must not follow. */
  #healthy = true;
  /** Called once when the socket closes, whoever closed it. */
  onClose: (() => void) | undefined;

  constructor(socket: Socket, target: FcgiTarget) {
    this.#socket = socket;
    this.target = target;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    });
    socket.on('error', (error) => this.#lose(this.#lostError(error)));
    socket.on('close', () => {
      this.#lose(this.#lostError());
      this.onClose?.();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether the backend ever sent a byte on this connection. One that has not may still be waiting in
   * the backend's accept queue (php-fpm accepts a connection only when a worker is free).
   */
  get proven(): boolean {
    return this.#receivedAny;
  }

  get busy(): boolean {
    return this.#sinks.size > 0;
  }

  /** Requests (and management queries) attached right now. */
  get activeCount(): number {
    return this.#sinks.size;
  }

  /** Whether the connection can carry another request after the current one (classic mode). */
  get reusable(): boolean {
    return this.acceptsRequests && this.#sinks.size === 0;
  }

  /**
   * Whether new requests may still be started on it (multiplexed mode): open, and no request left it in
   * a state where another must not follow. Requests already running are not affected.
   */
  get acceptsRequests(): boolean {
    return this.#healthy && !this.#closed && !this.#socket.destroyed;
  }

  /** A request id not used by the previous request, so stray records of an old request never match. */
  nextRequestId(): number {
    this.#lastRequestId = this.#lastRequestId >= MAX_REQUEST_ID ? 1 : this.#lastRequestId + 1;
    return this.#lastRequestId;
  }

  /**
   * A request id for one of several concurrent requests: the ids run 1..N, where N is the most requests
   * ever in flight at once, because a freed id is handed out again before a fresh one.
   */
  allocateRequestId(): number {
    const id = this.#freeIds.pop() ?? this.#nextFreshId++;
    if (id > MAX_REQUEST_ID) throw new RangeError('No FastCGI request id is free on this connection');
    this.#allocatedIds.add(id);
    return id;
  }

  attach(requestId: number, sink: RecordSink): void {
    if (this.#closed) {
      // Lost between being handed out and used: report it the way a later loss would be.
      queueMicrotask(() => sink.onConnectionLost(this.#lostError()));
      return;
    }
    this.#sinks.set(requestId, sink);
    this.#socket.ref();
    // Every earlier request may be behind with the socket paused; this one wants its answer.
    this.updateFlow();
  }

  /**
   * Ends a request's ownership of its id; `reusable: false` means no request may follow on this
   * connection (the pool destroys it once no other request uses it).
   */
  detach(requestId: number, sink: RecordSink, reusable: boolean): void {
    if (this.#sinks.get(requestId) !== sink) return;
    this.#sinks.delete(requestId);
    if (this.#allocatedIds.delete(requestId)) this.#freeIds.push(requestId);
    if (!reusable) this.#healthy = false;
    if (this.#sinks.size > 0) {
      this.updateFlow();
      return;
    }
    // A paused socket would never report the server closing the idle connection.
    this.#socket.resume();
    // An idle pooled connection must not keep the process alive, as an idle fetch() connection does not.
    this.#socket.unref();
  }

  /**
   * Reads the socket while any attached request wants bytes, and pauses it once none does (each reader
   * is behind). With one request this is plain backpressure; with many, one slow reader never pauses
   * the records the others are waiting for.
   */
  updateFlow(): void {
    if (this.#closed) return;
    for (const sink of this.#sinks.values()) {
      if (sink.wantsData !== false) {
        this.#socket.resume();
        return;
      }
    }
    if (this.#sinks.size > 0) this.#socket.pause();
  }

  /** Writes records in one batch; false means the socket buffer is full (wait for drain()). */
  write(chunks: readonly Uint8Array[]): boolean {
    if (this.#closed || this.#socket.destroyed) return false;
    if (chunks.length === 1) return this.#socket.write(chunks[0]!);
    let total = 0;
    for (const chunk of chunks) total += chunk.byteLength;
    if (total <= COALESCE_LIMIT) {
      // Small records (a whole GET, a record header and its content) cost less copied into one buffer
      // than handed to writev one by one.
      const merged = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        merged.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return this.#socket.write(merged);
    }
    let flowing = true;
    this.#socket.cork();
    for (const chunk of chunks) flowing = this.#socket.write(chunk);
    this.#socket.uncork();
    return flowing;
  }

  /** Resolves when the socket can take more data; rejects when it closes first. */
  drain(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#lostError());
    // One list rather than a listener per caller: many multiplexed uploads may wait at once.
    return new Promise<void>((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  destroy(): void {
    this.#healthy = false;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#receivedAny = true;
    let records: FcgiRecord[];
    try {
      // A plain Uint8Array view (no copy): body chunks handed to users should not be Buffers.
      records = this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      this.#lose(
        new FcgiClientError(
          'MALFORMED_RESPONSE',
          `The FastCGI backend at ${describeTarget(this.target)} sent bytes that are not FastCGI records: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      this.destroy();
      return;
    }
    for (const record of records) {
      if (this.#closed) return;
      const sink = this.#sinks.get(record.requestId);
      if (sink) {
        sink.onRecord(record);
      } else if (this.#sinks.size === 0) {
        // Nobody asked: a server talking out of turn cannot be trusted with the next request.
        this.destroy();
        return;
      }
      // Otherwise a record for an id that is not active: ignored (§3.3).
    }
  }

  #lose(error: FcgiClientError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#healthy = false;
    const sinks = [...this.#sinks.values()];
    this.#sinks.clear();
    for (const sink of sinks) sink.onConnectionLost(error);
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #lostError(cause?: Error): FcgiClientError {
    return new FcgiClientError(
      'CONNECTION_CLOSED',
      `The connection to the FastCGI backend at ${describeTarget(this.target)} closed before the response ended` +
        (cause ? `: ${cause.message}` : ''),
      cause ? { cause } : undefined,
    );
  }
}
