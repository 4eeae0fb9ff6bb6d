import { ProtocolError } from '@fcgi/protocol';

export interface RequestBodyOptions {
  /** CONTENT_LENGTH when known: the STDIN received must match it. */
  declaredLength: number | undefined;
  /** Above this many unread bytes, push() asks the connection to stop reading the socket. */
  maxBufferedBytes: number;
  /** Called when the reader has caught up after push() returned true: resume the socket. */
  onDrain: () => void;
  /** How long a reader waits for the next chunk before onStall is called (ms). */
  stallTimeout: number;
  /** A reader has waited stallTimeout for data that did not come. */
  onStall: () => void;
}

const EMPTY = new Uint8Array(0);
// A view keeps its whole socket read alive. A piece that is a small part of a large read (a byte of
// body beside a 64 KiB record for an ignored id) is copied, so that what is held is what is counted.
const PINNED_READ_MIN = 16 * 1024;
const PINNED_VIEW_RATIO = 8;

/**
 * The STDIN stream of one request, handed to the handler as a body it pulls from. Chunks are kept as the
 * views the record decoder produced (no copy) until read; unread bytes are bounded by maxBufferedBytes
 * through the connection pausing its socket. A declared CONTENT_LENGTH that the STDIN does not match
 * errors the body with a ProtocolError.
 */
export class RequestBody {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private receivedBytes = 0;
  private finished = false;
  private failure: unknown;
  private overLimit = false;
  private discarding = false;
  private wake: (() => void) | undefined;
  // Runs only while a reader waits for data, so a body nobody reads, or one already here, costs no timer.
  private stallTimer: NodeJS.Timeout | undefined;
  private stream: ReadableStream<Uint8Array> | undefined;
  /** True once a consumer has started reading (stream or gather): the body can be read only once. */
  disturbed = false;

  constructor(private readonly options: RequestBodyOptions) {}

  get received(): number {
    return this.receivedBytes;
  }

  /** Bytes received and not yet read: what this body holds of its connection's budget. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Whether the whole STDIN stream arrived (or the body failed, so nothing more is wanted). */
  get complete(): boolean {
    return this.finished || this.failure !== undefined;
  }

  /** Adds one STDIN chunk; returns true when the reader is behind and the socket should pause. */
  push(chunk: Uint8Array): boolean {
    this.receivedBytes += chunk.length;
    if (this.complete) return false;
    const declared = this.options.declaredLength;
    if (declared !== undefined && this.receivedBytes > declared) {
      this.fail(
        new ProtocolError(
          'CONTENT_LENGTH_MISMATCH',
          `Request body longer than CONTENT_LENGTH: received ${this.receivedBytes} of ${declared} bytes`,
        ),
      );
      return false;
    }
    if (this.discarding) return false;
    this.chunks.push(unpinned(chunk));
    this.bufferedBytes += chunk.length;
    this.notify();
    if (this.bufferedBytes > this.options.maxBufferedBytes) this.overLimit = true;
    return this.overLimit;
  }

  /** The empty STDIN record arrived. */
  end(): void {
    if (this.complete) return;
    const declared = this.options.declaredLength;
    if (declared !== undefined && this.receivedBytes !== declared) {
      this.fail(
        new ProtocolError(
          'CONTENT_LENGTH_MISMATCH',
          `Request body shorter than CONTENT_LENGTH: received ${this.receivedBytes} of ${declared} bytes`,
        ),
      );
      return;
    }
    this.finished = true;
    this.notify();
  }

  /** Errors the body for its reader (abort, limit, connection loss) and drops what is buffered. */
  fail(error: unknown): void {
    if (this.complete) return;
    this.failure = error;
    this.drop();
    this.notify();
  }

  /** The consumer is no longer interested (cancelled stream, request over): drop and ignore further bytes. */
  discard(): void {
    this.discarding = true;
    this.drop();
  }

  /** The body as a pull-based stream: nothing is enqueued before the handler asks for it. */
  getStream(): ReadableStream<Uint8Array> {
    if (this.stream) return this.stream;
    // Not a byte stream: enqueueing into one would transfer (detach) the socket's ArrayBuffer, which
    // other records of the same read still view.
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.pullInto(controller),
        cancel: () => this.discard(),
      },
      { highWaterMark: 0 },
    );
    return this.stream;
  }

  /** Whether the stream handed out has a reader. */
  get locked(): boolean {
    return this.stream?.locked ?? false;
  }

  /**
   * The whole body, gathered from the STDIN chunks with no stream in between (through the stream
   * only if one was handed out, so that both views agree).
   */
  async chunksToEnd(): Promise<Uint8Array[]> {
    if (this.stream) return readAll(this.stream);
    return this.gather();
  }

  /**
   * The whole body gathered from the chunks, not through the stream handed out: for a caller that has
   * just locked that stream, so that nothing else can read it, and wants no stream reads in between.
   */
  chunksBesideStream(): Promise<Uint8Array[]> {
    return this.gather();
  }

  private async gather(): Promise<Uint8Array[]> {
    this.disturbed = true;
    const gathered: Uint8Array[] = [];
    for (;;) {
      while (this.chunks.length > 0) gathered.push(this.take());
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) return gathered;
      await this.waitForData();
    }
  }

  private async pullInto(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    this.disturbed = true;
    for (;;) {
      if (this.chunks.length > 0) {
        controller.enqueue(this.take());
        return;
      }
      if (this.failure !== undefined) {
        controller.error(this.failure);
        return;
      }
      if (this.finished || this.discarding) {
        controller.close();
        return;
      }
      await this.waitForData();
    }
  }

  private take(): Uint8Array {
    const chunk = this.chunks.shift() ?? EMPTY;
    this.bufferedBytes -= chunk.length;
    // Resume at half the limit so the socket is not toggled on every chunk.
    if (this.overLimit && this.bufferedBytes <= this.options.maxBufferedBytes / 2) {
      this.overLimit = false;
      this.options.onDrain();
    }
    return chunk;
  }

  private drop(): void {
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    if (this.overLimit) {
      this.overLimit = false;
      this.options.onDrain();
    }
  }

  private waitForData(): Promise<void> {
    this.stallTimer = setTimeout(this.options.onStall, this.options.stallTimeout);
    this.stallTimer.unref();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      clearTimeout(this.stallTimer);
      wake();
    }
  }
}

/** `chunk`, or a copy of it when it is a small view of a large buffer (see PINNED_READ_MIN). */
function unpinned(chunk: Uint8Array): Uint8Array {
  const backing = chunk.buffer.byteLength;
  if (backing < PINNED_READ_MIN || chunk.byteLength * PINNED_VIEW_RATIO >= backing) return chunk;
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** Joins chunks into one standalone array (a copy even for one chunk: views must not leak the socket buffer). */
export function concatChunks(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
