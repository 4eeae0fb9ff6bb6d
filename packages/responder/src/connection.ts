import type { Duplex } from 'node:stream';
import {
  decodeBeginRequestBody,
  encodeEndRequest,
  FCGI_HEADER_LEN,
  FCGI_MAX_CONTENT_LEN,
  FCGI_MAX_PADDING_LEN,
  FCGI_NULL_REQUEST_ID,
  type FcgiRecord,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { reportError } from './error-ending';
import { RequestLimitError, toError } from './errors';
import { Exchange, type ExchangeHost } from './exchange';
import { managementReply } from './management';
import { type ConnectionOptions, connectionOptions, type ServedRole } from './options';
import type { Handler, ServedConnection, ServeOptions } from './types';
import { writeCoalesced } from './write-coalescer';

// After our side is ended and flushed, how long the peer gets to close before the socket is destroyed.
const LINGER_MS = 2000;
// After a response, how much of an unread request body is discarded before the connection is closed
// instead: one handler that ignores its body must not freeze a keep-alive connection (README, "Bodies
// that do not match, or are too large"). A peer that stops sending it is an idle connection, closed
// after idleTimeout. No timer here: nearly every GET ends before its empty STDIN record is read, and a
// timer per request would cost more than it saves.
const DRAIN_LIMIT_BYTES = 1024 * 1024;
const SERVICE_UNAVAILABLE = 503;
// The largest record on the wire; a non-stream record is assembled whole, up to maxBufferedBytes.
const LARGEST_RECORD = FCGI_HEADER_LEN + FCGI_MAX_CONTENT_LEN + FCGI_MAX_PADDING_LEN;
// A BEGIN_REQUEST (header and 8-byte body) must always fit, whatever maxBufferedBytes says.
const SMALLEST_RECORD_BUFFER = 2 * FCGI_HEADER_LEN;

/** Why reading is paused (bit flags); it resumes once no reason is left. */
const PausedFor = {
  /** A request alone on the connection has more unread body than it may hold. */
  UnreadBody: 1,
  /** Output the peer has not taken is over maxConnectionBytes. */
  QueuedOutput: 2,
} as const;
type PauseReason = (typeof PausedFor)[keyof typeof PausedFor];

const ROLE_NAMES: Record<number, ServedRole | undefined> = {
  [Role.Responder]: 'responder',
  [Role.Authorizer]: 'authorizer',
};

/**
 * The FastCGI connection over one byte stream: reads and dispatches records, answers management
 * records, and owns the socket: flow control, draining unread bodies, writing, idle and linger timers.
 * Each request's own life is an Exchange. With `multiplex` (the default) many run at once, their
 * STDOUT records interleaved; without it a second concurrent id is refused with CANT_MPX_CONN.
 */
export class Connection implements ExchangeHost, ServedConnection {
  readonly closed: Promise<void>;
  private readonly decoder: RecordDecoder;
  private readonly requests = new Map<number, Exchange>();
  private requestsBegun = 0;
  private pausedFor = 0;
  private ending = false;
  private isClosed = false;
  private shuttingDown = false;
  private closing = false;
  // When the connection last had no request: it opened, or its last request ended.
  private quietSince = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private drainingId: number | undefined;
  private drainedBytes = 0;
  private endTimer: NodeJS.Timeout | undefined;
  private drainWaiter: Promise<void> | undefined;
  // The connection's own answers (management replies, refused BEGIN_REQUESTs) gathered over one read
  // and written together: a flood of tiny records costs one socket write per read, not one per record.
  private replies: Uint8Array[] = [];
  private resolveClosed!: () => void;

  constructor(
    readonly socket: Duplex,
    readonly handler: Handler,
    readonly options: ConnectionOptions,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    // Stream records come as views of the socket chunks they arrive in: a 64 KiB STDIN record split
    // across two reads (nearly every one) is never assembled. Only an empty record ends a stream, and
    // only the others (BEGIN_REQUEST, management records) are held whole, within maxBufferedBytes.
    this.decoder = new RecordDecoder({
      splitStreams: true,
      maxBufferedBytes: Math.max(
        SMALLEST_RECORD_BUFFER,
        Math.min(options.maxUnreadBodyBytes, LARGEST_RECORD),
      ),
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerEnd());
    // Resets and broken pipes are how web servers hang up; 'close' follows and aborts what is running.
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
    this.armIdle();
  }

  /** True while any request is past its params (its handler is running or its response is being sent). */
  get busy(): boolean {
    for (const request of this.requests.values()) if (request.phase === 'running') return true;
    return false;
  }

  /**
   * When the server is at maxConnections, whether this connection may be closed for a newcomer: it
   * serves nothing (idle, or a request head still arriving) and is not closing already. Undefined
   * when it may not, else when it last served something, so that the longest quiet goes first.
   */
  get spareSince(): number | undefined {
    if (this.ending || this.isClosed || this.busy) return undefined;
    return this.quietSince;
  }

  /** Closes this connection for a newcomer (see spareSince): what serves nothing gives way. */
  giveWay(): void {
    this.abortAll('The connection gave way to a new one at maxConnections');
    this.endSocket();
  }

  /** Whether this connection still takes a place under maxConnections: it is not on its way out. */
  get holdsPlace(): boolean {
    return !this.ending && !this.isClosed;
  }

  /** close() started: serve what is on the wire within graceMs, then end once no request is open. */
  shutdown(graceMs: number): void {
    this.shuttingDown = true;
    if (this.requests.size > 0) return;
    setTimeout(() => {
      if (this.requests.size === 0) this.endSocket();
    }, graceMs).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  closeAfterCurrent(): void {
    this.closing = true;
  }

  // ------------------------------------------------------------------------------------------------
  // Input

  private onData(chunk: Buffer): void {
    let records: FcgiRecord[];
    try {
      records = this.decoder.push(chunk);
    } catch (error) {
      this.report(toError(error));
      this.socket.destroy();
      return;
    }
    try {
      for (const record of records) {
        this.dispatch(record);
        if (this.isClosed) return;
      }
      this.flushReplies();
      if (this.requests.size > 0) this.afterRead();
      if (this.socket.writableLength > this.options.maxConnectionBytes) this.waitForPeerToRead();
    } catch (error) {
      // A bug here must not take the process down: report it and drop this connection only.
      this.report(toError(error));
      this.socket.destroy();
    }
  }

  private dispatch(record: FcgiRecord): void {
    const { type, requestId, content } = record;
    if (requestId === FCGI_NULL_REQUEST_ID) {
      this.replies.push(managementReply(type, content, this.options));
      return;
    }
    if (type === RecordType.BeginRequest) {
      this.onBegin(requestId, content);
      return;
    }
    const request = this.requests.get(requestId);
    if (!request) {
      if (type === RecordType.Stdin && requestId === this.drainingId) this.onDrainedStdin(content.length);
      return; // §3.3: records for inactive request ids are ignored.
    }
    switch (type) {
      case RecordType.Params:
        request.onParams(content);
        return;
      case RecordType.Stdin:
        request.onStdin(content);
        return;
      case RecordType.AbortRequest:
        request.onAbortRequest();
        return;
      default:
        return; // DATA (Filter role is refused at BEGIN) and app-to-server types: nothing to do.
    }
  }

  private onBegin(requestId: number, content: Uint8Array): void {
    if (this.ending) return;
    const active = this.requests.get(requestId);
    if (active) {
      active.onBeginRequestAgain();
      return;
    }
    const begin = decodeBeginRequestBody(content);
    if (this.requests.size > 0 && !this.options.multiplex) {
      this.replies.push(encodeEndRequest(requestId, 0, ProtocolStatus.CantMpxConn));
      return;
    }
    if (this.requests.size >= this.options.maxConcurrentRequests || this.closing) {
      this.replies.push(encodeEndRequest(requestId, 0, ProtocolStatus.Overloaded));
      return;
    }
    const role = ROLE_NAMES[begin.role];
    if (!role || !this.options.roles.has(role)) {
      this.replies.push(encodeEndRequest(requestId, 0, ProtocolStatus.UnknownRole));
      if (!begin.keepConn && this.requests.size === 0) this.endSocket();
      return;
    }
    if (this.drainingId !== undefined) this.stopDraining();
    this.requests.set(requestId, new Exchange(this, requestId, role, begin.keepConn));
    this.requestsBegun++;
    const max = this.options.maxRequestsPerConnection;
    if (max !== undefined && this.requestsBegun >= max) this.closing = true;
  }

  /**
   * A handler is maxBufferedBytes behind on its body. Alone on the connection, the socket pauses until
   * it catches up. Sharing it with other requests, pausing would stall them all (FastCGI has no
   * per-request flow control), so this request alone is ended: 503 if nothing was sent yet.
   */
  onBodyBacklog(request: Exchange): void {
    if (this.requests.size <= 1) {
      this.pause(PausedFor.UnreadBody);
      return;
    }
    const limit = this.options.maxUnreadBodyBytes;
    const error = new RequestLimitError(
      'BODY_BACKLOG',
      limit,
      `Request ${request.requestId} left more than maxBufferedBytes (${limit}) of its body unread while other requests share the connection`,
    );
    request.reject(503, error);
  }

  /**
   * After each read: request heads still incomplete get their paramsTimeout, and if the requests
   * together hold more than maxConnectionBytes, the ones holding most are answered 503 until the rest
   * fit. A request alone is never shed here: its body's own limit (at most the budget) pauses reading.
   */
  private afterRead(): void {
    let held = 0;
    for (const request of this.requests.values()) {
      if (request.phase === 'params') request.armParamsDeadline();
      held += request.heldBytes;
    }
    const budget = this.options.maxConnectionBytes;
    if (held <= budget || this.requests.size < 2) return;
    const largestFirst = [...this.requests.values()].sort((a, b) => b.heldBytes - a.heldBytes);
    for (let left = largestFirst.length; held > budget && left > 1; left--) {
      const request = largestFirst[largestFirst.length - left] as Exchange;
      held -= request.heldBytes;
      const error = new RequestLimitError(
        'CONNECTION_BACKLOG',
        budget,
        `Request ${request.requestId} was shed: the requests on its connection held more than maxConnectionBytes (${budget}) of params and unread bodies`,
      );
      request.reject(SERVICE_UNAVAILABLE, error);
    }
  }

  private onDrainedStdin(length: number): void {
    if (length === 0) {
      this.stopDraining();
      return;
    }
    this.drainedBytes += length;
    if (this.drainedBytes > DRAIN_LIMIT_BYTES) {
      this.stopDraining();
      // Discarding costs no memory; closing is only worth it when no other request shares the socket.
      if (this.requests.size === 0) this.endSocket();
    }
  }

  private onPeerEnd(): void {
    // The web server closed its side: nothing more will arrive, so running requests are aborted.
    this.abortAll('The web server closed the connection');
    // Without KEEP_CONN our side is usually ended already, and end() on an ended stream builds an
    // ERR_STREAM_ALREADY_FINISHED with a stack trace: ~9% of the CPU with one connection per request.
    const socket = this.socket;
    if (!socket.destroyed && !socket.writableEnded) socket.end();
  }

  private onClose(): void {
    this.isClosed = true;
    this.abortAll('The connection closed');
    clearTimeout(this.idleTimer);
    clearTimeout(this.endTimer);
    clearTimeout(this.sendTimer);
    this.resolveClosed();
  }

  private abortAll(message: string): void {
    if (this.requests.size === 0) return;
    const reason = new DOMException(message, 'AbortError');
    for (const request of this.requests.values()) request.abandon(reason);
    this.requests.clear();
  }

  private report(error: Error): void {
    reportError(this.options.onError, error, {});
  }

  // ------------------------------------------------------------------------------------------------
  // Output and flow control

  /** Called once per request, from its latch: `parts` end with its END_REQUEST. */
  requestEnded(request: Exchange, parts: Uint8Array[]): void {
    this.requests.delete(request.requestId);
    this.write(parts);
    const body = request.body;
    if (body && !body.complete)
      body.fail(new DOMException('The request has already been answered', 'AbortError'));
    if (request.phase === 'running' && !request.stdinDone) this.startDraining(request.requestId);
    if (!request.keepConn) this.closing = true;
    this.resumeReading();
    // With other requests still on the connection, it stays open until the last one ends.
    if (this.requests.size > 0) return;
    this.quietSince = performance.now();
    if (this.closing || this.shuttingDown) {
      this.endSocket();
      return;
    }
    this.armIdle();
  }

  write(parts: Uint8Array[]): boolean {
    if (!this.socket.writable) {
      // The peer is gone: stop every writer now rather than when 'close' is processed, which a body
      // stream that produces synchronously would otherwise postpone forever (a microtask loop).
      this.abortAll('The connection is no longer writable');
      return false;
    }
    const flushed = writeCoalesced(this.socket, parts);
    if (this.socket.writableLength > 0) this.watchSending();
    return flushed;
  }

  drained(): Promise<void> {
    if (!this.socket.writable) return Promise.resolve();
    this.drainWaiter ??= new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.drainWaiter = undefined;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    return this.drainWaiter;
  }

  private flushReplies(): void {
    if (this.replies.length === 0) return;
    const replies = this.replies;
    this.replies = [];
    this.write(replies);
  }

  private pause(reason: PauseReason): void {
    if (this.pausedFor === 0) this.socket.pause();
    this.pausedFor |= reason;
  }

  private unpause(reason: number): void {
    if ((this.pausedFor & reason) === 0) return;
    this.pausedFor &= ~reason;
    if (this.pausedFor === 0) this.socket.resume();
  }

  /** A request's reader caught up on its body (or the request ended). */
  resumeReading(): void {
    this.unpause(PausedFor.UnreadBody);
  }

  /**
   * More output is queued than the budget allows: read nothing more (every request, and every
   * management record, can add output) until the peer has taken it. A peer that never does is cut off
   * by sendTimeout.
   */
  private waitForPeerToRead(): void {
    if (this.pausedFor & PausedFor.QueuedOutput) return;
    this.pause(PausedFor.QueuedOutput);
    this.socket.once('drain', () => this.unpause(PausedFor.QueuedOutput));
  }

  /**
   * Output is queued: unless the peer takes some of it within each sendTimeout, the connection is
   * closed. Progress is what the peer took, not only a 'drain', which one large write raises only
   * once it is all gone: libuv's queue size (on net sockets) shrinks as a slow reader reads.
   */
  private watchSending(): void {
    if (this.sendTimer) return;
    const timeout = this.options.sendTimeout;
    let last = sendProgress(this.socket);
    const check = () => {
      this.sendTimer = undefined;
      const socket = this.socket;
      if (socket.destroyed || socket.writableLength === 0) return;
      const now = sendProgress(socket);
      if (now !== last) {
        last = now;
        this.sendTimer = setTimeout(check, timeout).unref();
        return;
      }
      const error = new RequestLimitError(
        'SEND_TIMEOUT',
        timeout,
        `The web server took none of ${socket.writableLength} queued bytes for sendTimeout (${timeout} ms); the connection is closed`,
      );
      this.report(error);
      socket.destroy();
    };
    this.sendTimer = setTimeout(check, timeout).unref();
  }

  /** Ends our side gracefully (the last response is flushed first) and destroys it if the peer lingers. */
  private endSocket(): void {
    if (this.ending) return;
    this.ending = true;
    // Keep reading: unread bytes in the receive buffer would make close() send a reset and could lose
    // the response that was just written.
    this.unpause(PausedFor.UnreadBody | PausedFor.QueuedOutput);
    this.flushReplies();
    const socket = this.socket;
    socket.end();
    // The linger starts once our last bytes are flushed, so a slow reader still gets the whole
    // response; a peer that never reads them is cut off after idleTimeout.
    const destroy = () => socket.destroy();
    socket.once('finish', () => {
      clearTimeout(this.endTimer);
      this.endTimer = setTimeout(destroy, LINGER_MS).unref();
    });
    this.endTimer = setTimeout(destroy, Math.max(this.options.idleTimeout, LINGER_MS)).unref();
  }

  private startDraining(requestId: number): void {
    this.drainingId = requestId;
    this.drainedBytes = 0;
  }

  private stopDraining(): void {
    this.drainingId = undefined;
  }

  /**
   * Idle = no request for idleTimeout, whatever bytes arrive meanwhile: records for no request (a
   * stalled half record, ignored ids, management records) do not keep a connection open. A request
   * whose head is still arriving has paramsTimeout instead.
   */
  private armIdle(): void {
    if (this.idleTimer) return;
    const check = () => {
      this.idleTimer = undefined;
      if (this.isClosed || this.requests.size > 0) return; // requestEnded re-arms it
      const quiet = performance.now() - this.quietSince;
      const left = this.options.idleTimeout - quiet;
      if (left > 0) {
        this.idleTimer = setTimeout(check, left);
        this.idleTimer.unref();
        return;
      }
      this.endSocket();
    };
    this.idleTimer = setTimeout(check, this.options.idleTimeout);
    this.idleTimer.unref();
  }
}

/** A mark that changes whenever the peer takes queued output (or more is queued). */
function sendProgress(socket: Duplex): string {
  // writeQueueSize: libuv's count of bytes handed to it and not yet written, on sockets with a handle.
  const handle = (socket as { _handle?: { writeQueueSize?: number } })._handle;
  return `${socket.writableLength}/${handle?.writeQueueSize ?? 0}`;
}

/** Serves FastCGI on one already-connected stream (a socket, or any Duplex in tests and frameworks). */
export function serveConnection(
  socket: Duplex,
  handler: Handler,
  options: ServeOptions = {},
): ServedConnection {
  return new Connection(socket, handler, connectionOptions(options));
}
