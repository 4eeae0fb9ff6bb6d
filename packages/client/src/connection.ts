import { createConnection, type Socket } from 'node:net';
import { type FcgiRecord, RecordDecoder } from '@fcgi/protocol';
import { abortReason, FastCGIClientError, timeoutError } from './errors';
import { describeTarget, type FastCGITarget } from './target';

/** Receives the records and the fate of one connection while a request (or management query) owns it. */
export interface RecordSink {
  onRecord(record: FcgiRecord): void;
  /** The connection is gone: closed by the peer, failed, or the bytes could not be decoded. */
  onConnectionLost(error: FastCGIClientError): void;
}

export interface ConnectOptions {
  connectTimeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_REQUEST_ID = 0xffff;
/** Batches up to this size are copied into one buffer; larger ones (body views) go out as they are. */
const COALESCE_LIMIT = 16 * 1024;

/** Opens a socket to the target; rejects with CONNECT_FAILED, a TimeoutError or the signal's reason. */
export function connectSocket(target: FastCGITarget, options: ConnectOptions = {}): Promise<Socket> {
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
        new FastCGIClientError(
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
 * One socket to a backend: decodes its records and hands them to whichever request owns it. Between
 * requests it only watches for the server closing it, so the pool can drop it.
 */
export class Connection {
  readonly target: FastCGITarget;
  readonly #socket: Socket;
  readonly #decoder = new RecordDecoder();
  #sink: RecordSink | undefined;
  #closed = false;
  #lastRequestId = 0;
  #receivedAny = false;
  /** False once a request left the connection in a state where another request must not follow. */
  #healthy = true;
  /** Called once when the socket closes, whoever closed it. */
  onClose: (() => void) | undefined;

  constructor(socket: Socket, target: FastCGITarget) {
    this.#socket = socket;
    this.target = target;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
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
    return this.#sink !== undefined;
  }

  get reusable(): boolean {
    return this.#healthy && !this.#closed && this.#sink === undefined && !this.#socket.destroyed;
  }

  /** A request id not used by the previous request, so stray records of an old request never match. */
  nextRequestId(): number {
    this.#lastRequestId = this.#lastRequestId >= MAX_REQUEST_ID ? 1 : this.#lastRequestId + 1;
    return this.#lastRequestId;
  }

  attach(sink: RecordSink): void {
    if (this.#closed) {
      // Lost between being handed out and used: report it the way a later loss would be.
      queueMicrotask(() => sink.onConnectionLost(this.#lostError()));
      return;
    }
    this.#sink = sink;
    this.#socket.ref();
  }

  /** Ends a request's ownership; `reusable: false` makes the pool destroy the connection. */
  detach(sink: RecordSink, reusable: boolean): void {
    if (this.#sink !== sink) return;
    this.#sink = undefined;
    if (!reusable) this.#healthy = false;
    // A paused socket would never report the server closing the idle connection.
    this.#socket.resume();
    // An idle pooled connection must not keep the process alive, as an idle fetch() connection does not.
    this.#socket.unref();
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
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.#socket.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.#socket.off('drain', onDrain);
        reject(this.#lostError());
      };
      this.#socket.once('drain', onDrain);
      this.#socket.once('close', onClose);
    });
  }

  /** Stops reading from the socket (the response body's consumer is behind). */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    if (!this.#closed) this.#socket.resume();
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
        new FastCGIClientError(
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
      if (this.#sink) {
        this.#sink.onRecord(record);
      } else {
        // Nobody asked: a server talking out of turn cannot be trusted with the next request.
        this.destroy();
        return;
      }
    }
  }

  #lose(error: FastCGIClientError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#healthy = false;
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.onConnectionLost(error);
  }

  #lostError(cause?: Error): FastCGIClientError {
    return new FastCGIClientError(
      'CONNECTION_CLOSED',
      `The connection to the FastCGI backend at ${describeTarget(this.target)} closed before the response ended` +
        (cause ? `: ${cause.message}` : ''),
      cause ? { cause } : undefined,
    );
  }
}
