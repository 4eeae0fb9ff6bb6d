import type { Duplex } from 'node:stream';
import {
  decodeBeginRequestBody,
  encodeEndRequest,
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
import { type ConnectionOptions, connectionOptions } from './options';
import type { Handler, RoleName, ServedConnection, ServeOptions } from './types';
import { writeCoalesced } from './write-coalescer';

// After our side is ended and flushed, how long the peer gets to close before the socket is destroyed.
const LINGER_MS = 2000;
// After a response, how much of an unread request body is discarded before the connection is closed
// instead: one handler that ignores its body must not freeze a keep-alive connection (README, "Bodies
// that do not match, or are too large"). A peer that stops sending it is an idle connection, closed
// after idleTimeout. No timer here: nearly every GET ends before its empty STDIN record is read, and a
// timer per request would cost more than it saves.
const DRAIN_LIMIT_BYTES = 1024 * 1024;

const ROLE_NAMES: Record<number, RoleName | undefined> = {
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
  // Stream records come as views of the socket chunks they arrive in: a 64 KiB STDIN record split
  // across two reads (nearly every one) is never assembled. Only an empty record ends a stream.
  private readonly decoder = new RecordDecoder({ splitStreams: true });
  private readonly requests = new Map<number, Exchange>();
  private requestsBegun = 0;
  private paused = false;
  private ending = false;
  private isClosed = false;
  private shuttingDown = false;
  private closing = false;
  private lastActivity = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private drainingId: number | undefined;
  private drainedBytes = 0;
  private endTimer: NodeJS.Timeout | undefined;
  private drainWaiter: Promise<void> | undefined;
  private resolveClosed!: () => void;

  constructor(
    readonly socket: Duplex,
    readonly handler: Handler,
    readonly options: ConnectionOptions,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
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
    this.lastActivity = performance.now();
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
    } catch (error) {
      // A bug here must not take the process down: report it and drop this connection only.
      this.report(toError(error));
      this.socket.destroy();
    }
  }

  private dispatch(record: FcgiRecord): void {
    const { type, requestId, content } = record;
    if (requestId === FCGI_NULL_REQUEST_ID) {
      this.write([managementReply(type, content, this.options)]);
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
    if (this.requests.has(requestId) || this.ending) return;
    const begin = decodeBeginRequestBody(content);
    if (this.requests.size > 0 && !this.options.multiplex) {
      this.write([encodeEndRequest(requestId, 0, ProtocolStatus.CantMpxConn)]);
      return;
    }
    if (this.requests.size >= this.options.maxConcurrentRequests || this.closing) {
      this.write([encodeEndRequest(requestId, 0, ProtocolStatus.Overloaded)]);
      return;
    }
    const role = ROLE_NAMES[begin.role];
    if (!role) {
      this.write([encodeEndRequest(requestId, 0, ProtocolStatus.UnknownRole)]);
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
      this.pauseReading();
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
    return writeCoalesced(this.socket, parts);
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

  private pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Ends our side gracefully (the last response is flushed first) and destroys it if the peer lingers. */
  private endSocket(): void {
    if (this.ending) return;
    this.ending = true;
    // Keep reading: unread bytes in the receive buffer would make close() send a reset and could lose
    // the response that was just written.
    this.resumeReading();
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

  /** Idle = no request running and no bytes received for idleTimeout; a stalled half record counts as idle. */
  private armIdle(): void {
    if (this.idleTimer) return;
    const check = () => {
      this.idleTimer = undefined;
      if (this.isClosed || this.busy) return; // requestEnded re-arms it
      const quiet = performance.now() - this.lastActivity;
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

/** Serves FastCGI on one already-connected stream (a socket, or any Duplex in tests and frameworks). */
export function serveConnection(
  socket: Duplex,
  handler: Handler,
  options: ServeOptions = {},
): ServedConnection {
  return new Connection(socket, handler, connectionOptions(options));
}
