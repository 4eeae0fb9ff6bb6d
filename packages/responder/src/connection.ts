import type { Duplex } from 'node:stream';
import {
  decodeBeginRequestBody,
  decodeParams,
  encodeEndRequest,
  encodeGetValuesResult,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  encodeUnknownTypeBody,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  type FcgiRecord,
  ParamsDecoder,
  ProtocolError,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  Role,
} from '@fcgi/protocol';
import { AppStatus } from './app-status';
import { HandlerError } from './errors';
import { createRequest, type RequestSource } from './lazy-request';
import { type ConnectionOptions, connectionOptions } from './options';
import { RequestBody } from './request-body';
import {
  declaredContentLength,
  isBodylessMethod,
  type Params,
  paramsMap,
  paramsRecord,
  requestMethod,
} from './request-mapping';
import { type ResponseSink, simpleResponseParts, writeResponse } from './response-writer';
import type { ErrorContext, Handler, RequestInfo, RoleName, ServeOptions } from './types';

// Small multi-part writes are copied into one buffer (one syscall, one packet); larger ones are
// corked so the body views are written without a copy.
const COALESCE_LIMIT = 16 * 1024;
// After our side is ended and flushed, how long the peer gets to close before the socket is destroyed.
const LINGER_MS = 2000;
// After a response, how much of an unread request body is discarded before the connection is closed
// instead (PITFALLS 2: never let one handler that ignores its body freeze a connection). A peer that
// stops sending it is an idle connection, closed after idleTimeout. No timer here: nearly every GET
// ends before its empty STDIN record is read, and a timer per request would cost more than it saves.
const DRAIN_LIMIT_BYTES = 1024 * 1024;

const EMPTY_PARAMS: Params = new Map();

const ROLE_NAMES: Record<number, RoleName | undefined> = {
  [Role.Responder]: 'responder',
  [Role.Authorizer]: 'authorizer',
};

/** One request on a connection, from BEGIN_REQUEST to END_REQUEST. */
class ActiveRequest implements ResponseSink, RequestSource {
  phase: 'params' | 'running' = 'params';
  paramsDecoder: ParamsDecoder | undefined;
  params: Params = EMPTY_PARAMS;
  body: RequestBody | null = null;
  stdinDone = false;
  isHead = false;
  started = false;
  ended = false;
  request: Request | undefined;
  info: RequestInfo | undefined;
  timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private cancelResponse: ((reason: unknown) => void) | undefined;

  constructor(
    private readonly connection: Connection,
    readonly requestId: number,
    readonly role: RoleName,
    readonly keepConn: boolean,
  ) {}

  /** Created on first use: most handlers never look at it. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Fires the signal, errors the request body and stops the response body. Idempotent. */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.body?.fail(reason);
    const cancel = this.cancelResponse;
    this.cancelResponse = undefined;
    cancel?.(reason);
  }

  write(parts: Uint8Array[]): boolean {
    if (this.ended) return true;
    return this.connection.writeParts(parts);
  }

  drain(): Promise<void> {
    return this.connection.drained();
  }

  finish(parts: Uint8Array[], appStatus: number): void {
    this.connection.finishRequest(this, parts, appStatus);
  }

  finishEncoded(bytes: Uint8Array, appStatus: number): void {
    this.connection.finishRequest(this, [bytes], appStatus, true);
  }

  setCancel(cancel: ((reason: unknown) => void) | undefined): void {
    this.cancelResponse = cancel;
  }

  context(): ErrorContext {
    return { request: this.request, info: this.info };
  }
}

/**
 * The FastCGI state machine over one byte stream: records → requests → handler → records.
 * Requests are kept by id: with `multiplex` (the default) many run at once, their STDOUT records
 * interleaved; without it a second concurrent id is refused with CANT_MPX_CONN.
 */
export class Connection {
  /** Resolves once the underlying socket has closed and every request on it is over. */
  readonly closed: Promise<void>;
  private readonly options: ConnectionOptions;
  // Stream records come as views of the socket chunks they arrive in: a 64 KiB STDIN record split
  // across two reads (nearly every one) is never assembled. Only an empty record ends a stream.
  private readonly decoder = new RecordDecoder({ splitStreams: true });
  private readonly requests = new Map<number, ActiveRequest>();
  private requestsBegun = 0;
  private paused = false;
  private ending = false;
  private isClosed = false;
  private shuttingDown = false;
  private closeAfterCurrent = false;
  private lastActivity = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private drainingId: number | undefined;
  private drainedBytes = 0;
  private endTimer: NodeJS.Timeout | undefined;
  private drainWaiter: Promise<void> | undefined;
  private resolveClosed!: () => void;

  constructor(
    readonly socket: Duplex,
    private readonly handler: Handler,
    options: ConnectionOptions,
  ) {
    this.options = options;
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

  // ------------------------------------------------------------------------------------------------
  // Input

  private onData(chunk: Buffer): void {
    this.lastActivity = performance.now();
    let records: FcgiRecord[];
    try {
      records = this.decoder.push(chunk);
    } catch (error) {
      this.report(toError(error), {});
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
      this.report(toError(error), {});
      this.socket.destroy();
    }
  }

  private dispatch(record: FcgiRecord): void {
    const { type, requestId, content } = record;
    if (requestId === FCGI_NULL_REQUEST_ID) {
      this.onManagement(type, content);
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
        this.onParams(request, content);
        return;
      case RecordType.Stdin:
        this.onStdin(request, content);
        return;
      case RecordType.AbortRequest:
        this.onAbortRequest(request);
        return;
      default:
        return; // DATA (Filter role is refused at BEGIN) and app-to-server types: nothing to do.
    }
  }

  private onManagement(type: number, content: Uint8Array): void {
    if (type !== RecordType.GetValues) {
      this.writeParts([
        encodeRecord(RecordType.UnknownType, FCGI_NULL_REQUEST_ID, encodeUnknownTypeBody(type)),
      ]);
      return;
    }
    let names: string[];
    try {
      names = decodeParams(content).map(([name]) => name);
    } catch {
      names = [];
    }
    // Only what is known (PITFALLS 8): the per-connection request cap (1 without multiplexing), and a
    // connection limit only when maxConnections sets one.
    const multiplex = this.options.multiplex;
    const known: Record<string, string | undefined> = {
      [FCGI_MPXS_CONNS]: multiplex ? '1' : '0',
      [FCGI_MAX_REQS]: multiplex ? String(this.options.maxConcurrentRequests) : '1',
      [FCGI_MAX_CONNS]: this.options.maxConnections?.toString(),
    };
    const values: Array<[string, string]> = [];
    for (const name of names) {
      const value = known[name];
      if (value !== undefined) values.push([name, value]);
    }
    this.writeParts([encodeGetValuesResult(values)]);
  }

  private onBegin(requestId: number, content: Uint8Array): void {
    if (this.requests.has(requestId) || this.ending) return;
    const begin = decodeBeginRequestBody(content);
    if (this.requests.size > 0 && !this.options.multiplex) {
      this.writeParts([encodeEndRequest(requestId, 0, ProtocolStatus.CantMpxConn)]);
      return;
    }
    if (this.requests.size >= this.options.maxConcurrentRequests || this.closeAfterCurrent) {
      this.writeParts([encodeEndRequest(requestId, 0, ProtocolStatus.Overloaded)]);
      return;
    }
    const role = ROLE_NAMES[begin.role];
    if (!role) {
      this.writeParts([encodeEndRequest(requestId, 0, ProtocolStatus.UnknownRole)]);
      if (!begin.keepConn && this.requests.size === 0) this.endSocket();
      return;
    }
    if (this.drainingId !== undefined) this.stopDraining();
    const request = new ActiveRequest(this, requestId, role, begin.keepConn);
    request.paramsDecoder = new ParamsDecoder({
      maxBytes: this.options.maxParamsBytes,
      maxPairs: this.options.maxParamsCount,
      encoding: 'latin1',
    });
    this.requests.set(requestId, request);
    this.requestsBegun++;
    const max = this.options.maxRequestsPerConnection;
    if (max !== undefined && this.requestsBegun >= max) this.closeAfterCurrent = true;
  }

  private onParams(request: ActiveRequest, content: Uint8Array): void {
    const decoder = request.paramsDecoder;
    if (request.phase !== 'params' || !decoder) return;
    try {
      if (content.length > 0) {
        decoder.push(content);
        return;
      }
      request.params = paramsMap(decoder.end());
    } catch (error) {
      const tooBig =
        error instanceof ProtocolError &&
        (error.code === 'PARAMS_TOO_LARGE' || error.code === 'TOO_MANY_PARAMS');
      this.reject(request, tooBig ? 431 : 400, toError(error));
      return;
    }
    request.paramsDecoder = undefined;
    this.startRequest(request);
  }

  private onStdin(request: ActiveRequest, content: Uint8Array): void {
    if (request.phase !== 'running' || request.stdinDone) return;
    if (content.length === 0) {
      request.stdinDone = true;
      request.body?.end();
      return;
    }
    const body = request.body;
    if (!body) return; // GET/HEAD/Authorizer: STDIN bytes have nowhere to go.
    const max = this.options.maxBodyBytes;
    if (max !== undefined && body.received + content.length > max) {
      this.rejectTooLarge(request, body.received + content.length);
      return;
    }
    if (body.push(content)) this.onBacklog(request);
  }

  /**
   * A handler is maxBufferedBytes behind on its body. Alone on the connection, the socket pauses until
   * it catches up. Sharing it with other requests, pausing would stall them all (FastCGI has no
   * per-request flow control), so this request alone is ended: 503 if nothing was sent yet.
   */
  private onBacklog(request: ActiveRequest): void {
    if (this.requests.size <= 1) {
      this.pauseReading();
      return;
    }
    const error = new ProtocolError(
      'RECORD_BUFFER_LIMIT',
      `Request ${request.requestId} left more than maxBufferedBytes (${this.options.maxBufferedBytes}) of its body unread while other requests share the connection`,
    );
    this.reject(request, 503, error);
  }

  private onAbortRequest(request: ActiveRequest): void {
    request.abort(new DOMException('The web server aborted the request (FCGI_ABORT_REQUEST)', 'AbortError'));
    const parts = request.started ? [encodeStreamEnd(RecordType.Stdout, request.requestId)] : [];
    this.finishRequest(request, parts, AppStatus.Aborted);
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
    for (const request of this.requests.values()) {
      request.abort(reason);
      request.ended = true; // nothing can be written any more: no END_REQUEST either
      clearTimeout(request.timer);
    }
    this.requests.clear();
  }

  // ------------------------------------------------------------------------------------------------
  // The request

  private startRequest(request: ActiveRequest): void {
    const params = request.params;
    const method = requestMethod(params);
    request.isHead = method === 'HEAD';
    const declared = declaredContentLength(params);
    const max = this.options.maxBodyBytes;
    request.phase = 'running';
    if (max !== undefined && declared !== undefined && declared > max) {
      this.rejectTooLarge(request, declared);
      return;
    }
    // An Authorizer gets no STDIN (FastCGI §6.3): nothing is left to drain after its response.
    if (request.role === 'authorizer') request.stdinDone = true;
    if (request.role === 'responder' && !isBodylessMethod(method)) {
      request.body = new RequestBody({
        declaredLength: declared,
        maxBufferedBytes: this.options.maxBufferedBytes,
        onDrain: () => this.resumeReading(),
      });
    }
    request.info = createInfo(request);
    request.request = createRequest(request);
    const timeout = this.options.handlerTimeout;
    if (timeout !== undefined) {
      request.timer = setTimeout(() => this.onHandlerTimeout(request, timeout), timeout);
      request.timer.unref();
    }
    this.invokeHandler(request, request.request, request.info);
  }

  /** Runs the handler; a synchronous Response is written synchronously, with no promise in between. */
  private invokeHandler(request: ActiveRequest, fetchRequest: Request, info: RequestInfo): void {
    let result: unknown;
    try {
      result = this.handler(fetchRequest, info);
    } catch (cause) {
      this.fail(request, new HandlerError(`The handler threw: ${message(cause)}`, { cause }));
      return;
    }
    if (isThenable(result)) {
      result
        .then(
          (value) => this.onResult(request, value),
          (cause: unknown) =>
            this.fail(request, new HandlerError(`The handler rejected: ${message(cause)}`, { cause })),
        )
        .then(undefined, (error: unknown) => this.internalError(request, error));
      return;
    }
    this.onResult(request, result);
  }

  private onResult(request: ActiveRequest, result: unknown): void {
    if (!isResponse(result)) {
      this.fail(request, new HandlerError(`The handler returned ${describe(result)}, not a Response`));
      return;
    }
    if (request.ended || request.aborted) {
      result.body?.cancel().catch(() => {});
      return;
    }
    this.send(request, result, AppStatus.Ok);
  }

  /** Writes a response; a failure before the head falls back to the error path. */
  private send(request: ActiveRequest, response: Response, appStatus: number): void {
    let pending: Promise<void> | undefined;
    try {
      pending = writeResponse(request, response, request.isHead, appStatus);
    } catch (error) {
      this.onWriteFailure(request, error);
      return;
    }
    pending?.catch((error: unknown) => this.onWriteFailure(request, error));
  }

  private onWriteFailure(request: ActiveRequest, cause: unknown): void {
    const error =
      cause instanceof HandlerError
        ? cause
        : new HandlerError(`The response could not be sent: ${message(cause)}`, { cause });
    if (request.ended) {
      this.report(error, request.context());
      return;
    }
    this.fail(request, error);
  }

  /**
   * The error path: onError decides the response (default: a plain 500), verboseErrors puts the error
   * on STDERR, and the request always ends, whatever onError does.
   */
  private fail(request: ActiveRequest, error: Error, status = 500): void {
    this.respondToError(request, error, status).catch((bug: unknown) => this.internalError(request, bug));
  }

  /** A bug in this file must still end the request and must never become an unhandled rejection. */
  private internalError(request: ActiveRequest, bug: unknown): void {
    this.report(toError(bug), request.context());
    if (!request.ended) this.finishRequest(request, [], AppStatus.Error);
    this.socket.destroy();
  }

  private async respondToError(request: ActiveRequest, error: Error, status: number): Promise<void> {
    const outcome = await this.askOnError(error, request.context());
    if (request.ended) return;
    const id = request.requestId;
    if (this.options.verboseErrors) {
      const text = Buffer.from(`${error.stack ?? error.message}${causeText(error)}\n`, 'utf8');
      this.writeParts(encodeStreamRecords(RecordType.Stderr, id, text, { end: true }));
    }
    const appStatus = outcome.appStatus ?? AppStatus.Error;
    if (request.started) {
      this.finishRequest(request, [encodeStreamEnd(RecordType.Stdout, id)], appStatus);
      return;
    }
    if (outcome.response) {
      try {
        const pending = writeResponse(request, outcome.response, request.isHead, appStatus);
        if (pending) await pending;
        return;
      } catch {
        if (request.ended) return;
        if (request.started) {
          this.finishRequest(request, [encodeStreamEnd(RecordType.Stdout, id)], appStatus);
          return;
        }
      }
    }
    request.started = true;
    this.finishRequest(request, simpleResponseParts(id, status, statusText(status)), appStatus);
  }

  private async askOnError(
    error: Error,
    context: ErrorContext,
  ): Promise<{ response?: Response; appStatus?: number }> {
    const onError = this.options.onError;
    if (!onError) {
      if (error instanceof HandlerError) console.error(error);
      return {};
    }
    try {
      const outcome = await onError(error, context);
      if (isResponse(outcome)) return { response: outcome };
      if (outcome && typeof outcome === 'object') {
        const { response, appStatus } = outcome;
        return {
          response: isResponse(response) ? response : undefined,
          appStatus: Number.isInteger(appStatus) ? appStatus : undefined,
        };
      }
    } catch {
      // An onError that throws must not leave the request open: fall back to the default response.
    }
    return {};
  }

  /** Reports an error that has no response to decide (wire errors, late failures). */
  report(error: Error, context: ErrorContext): void {
    void this.askOnError(error, context);
  }

  /** The responder answers by itself (431, 400, 413), aborts the handler if any, and closes afterwards. */
  private reject(request: ActiveRequest, status: number, error: Error): void {
    this.report(error, request.context());
    // The rest of this request's records are still on the wire. Without multiplexing they would be
    // read as the next request's, so the connection closes; multiplexed, they are an inactive id's.
    if (!this.options.multiplex) this.closeAfterCurrent = true;
    request.abort(error);
    if (request.ended) return;
    const id = request.requestId;
    if (request.started) {
      this.finishRequest(request, [encodeStreamEnd(RecordType.Stdout, id)], AppStatus.Error);
      return;
    }
    request.started = true;
    this.finishRequest(request, simpleResponseParts(id, status, statusText(status)), AppStatus.Error);
  }

  private rejectTooLarge(request: ActiveRequest, length: number): void {
    const error = new ProtocolError(
      'MALFORMED_RECORD',
      `Request body of ${length} bytes exceeds maxBodyBytes (${this.options.maxBodyBytes})`,
    );
    this.reject(request, 413, error);
  }

  private onHandlerTimeout(request: ActiveRequest, timeout: number): void {
    if (request.ended) return;
    const reason = new DOMException(`The handler did not finish within ${timeout} ms`, 'TimeoutError');
    request.abort(reason);
    const error = new HandlerError(`The handler timed out after ${timeout} ms`, { cause: reason });
    if (request.started) {
      this.finishRequest(request, [encodeStreamEnd(RecordType.Stdout, request.requestId)], AppStatus.Aborted);
      this.report(error, request.context());
      return;
    }
    this.fail(request, error, 503);
  }

  /**
   * The latch: writes `parts` and END_REQUEST once (`endIncluded`: the last part already carries it),
   * frees the id, then keeps or ends the connection.
   */
  finishRequest(request: ActiveRequest, parts: Uint8Array[], appStatus: number, endIncluded = false): void {
    if (request.ended) return;
    request.ended = true;
    clearTimeout(request.timer);
    request.setCancel(undefined);
    this.requests.delete(request.requestId);
    if (!endIncluded)
      parts.push(encodeEndRequest(request.requestId, appStatus, ProtocolStatus.RequestComplete));
    this.writeParts(parts);
    const body = request.body;
    if (body && !body.complete)
      body.fail(new DOMException('The request has already been answered', 'AbortError'));
    if (request.phase === 'running' && !request.stdinDone) this.startDraining(request.requestId);
    if (!request.keepConn) this.closeAfterCurrent = true;
    this.resumeReading();
    // With other requests still on the connection, it stays open until the last one ends.
    if (this.requests.size > 0) return;
    if (this.closeAfterCurrent || this.shuttingDown) {
      this.endSocket();
      return;
    }
    this.armIdle();
  }

  // ------------------------------------------------------------------------------------------------
  // Output and flow control

  /** Writes parts in one go; false when the socket wants a drain before more is written. */
  writeParts(parts: Uint8Array[]): boolean {
    const socket = this.socket;
    if (!socket.writable) {
      // The peer is gone: stop every writer now rather than when 'close' is processed, which a body
      // stream that produces synchronously would otherwise postpone forever (a microtask loop).
      this.abortAll('The connection is no longer writable');
      return false;
    }
    if (parts.length === 1) return socket.write(parts[0] as Uint8Array);
    let total = 0;
    for (const part of parts) total += part.length;
    if (total <= COALESCE_LIMIT) {
      const buffer = Buffer.allocUnsafe(total);
      let offset = 0;
      for (const part of parts) {
        buffer.set(part, offset);
        offset += part.length;
      }
      return socket.write(buffer);
    }
    socket.cork();
    let ok = true;
    for (const part of parts) ok = socket.write(part);
    socket.uncork();
    return ok;
  }

  /** Resolves when the socket has drained or closed. */
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

  private resumeReading(): void {
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
      if (this.isClosed || this.busy) return; // finishRequest re-arms it
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

/** The handler's second argument; the raw params record is built only if the handler reads it. */
function createInfo(request: ActiveRequest): RequestInfo {
  const params = request.params;
  const port = params.get('REMOTE_PORT');
  const remotePort = port ? Number(port) : Number.NaN;
  let record: Readonly<Record<string, string>> | undefined;
  return {
    get params() {
      record ??= paramsRecord(params);
      return record;
    },
    remoteAddress: params.get('REMOTE_ADDR') || undefined,
    remotePort: Number.isInteger(remotePort) ? remotePort : undefined,
    requestId: request.requestId,
    role: request.role,
    keepConn: request.keepConn,
    get signal() {
      return request.signal;
    },
  };
}

/** Serves FastCGI on one already-connected stream (a socket, or any Duplex in tests and frameworks). */
export function serveConnection(socket: Duplex, handler: Handler, options: ServeOptions = {}): Connection {
  return new Connection(socket, handler, connectionOptions(options));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** A Response, or a Response from another realm or polyfill with the same shape. */
function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  const candidate = value as Partial<Response> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.status === 'number' &&
    typeof candidate.headers?.forEach === 'function' &&
    'body' in candidate
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return typeof value;
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function causeText(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) return `\nCaused by: ${cause.stack ?? cause.message}`;
  return cause === undefined ? '' : `\nCaused by: ${String(cause)}`;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}
