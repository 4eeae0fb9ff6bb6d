import {
  encodeEndRequest,
  encodeStreamEnd,
  ParamsDecoder,
  ProtocolError,
  ProtocolStatus,
  RecordType,
} from '@fcgi/protocol';
import { AppStatus } from './app-status';
import { endWithError, type FailingRequest, reportError, respondToError } from './error-ending';
import { HandlerError, RequestLimitError, toError } from './errors';
import { isHttpToken } from './http-token';
import { createRequest, type RequestSource } from './lazy-request';
import type { ConnectionOptions } from './options';
import { RequestBody } from './request-body';
import { createInfo, type InfoSource } from './request-info';
import {
  declaredContentLength,
  isBodylessMethod,
  type Params,
  paramsMap,
  requestMethod,
} from './request-mapping';
import { isResponse, writeResponse } from './response-writer';
import type { ErrorContext, Handler, RequestInfo, RoleName } from './types';

/** What one request needs from its connection; the connection owns the socket, ids and flow control. */
export interface ExchangeHost {
  readonly options: ConnectionOptions;
  readonly handler: Handler;
  /** Writes parts in one go; false when the socket wants a drain before more is written. */
  write(parts: Uint8Array[]): boolean;
  /** Resolves when the socket has drained or closed. */
  drained(): Promise<void>;
  resumeReading(): void;
  /** The handler is maxBufferedBytes behind on its body: pause the socket, or end this request. */
  onBodyBacklog(exchange: Exchange): void;
  /** Writes `parts` (ending with END_REQUEST), frees the id, then keeps or ends the connection. */
  requestEnded(exchange: Exchange, parts: Uint8Array[]): void;
  /** The rest of this request is still on the wire: close the connection once the open requests end. */
  closeAfterCurrent(): void;
  destroy(): void;
}

const EMPTY_PARAMS: Params = new Map();
const BAD_REQUEST = 400;
const REQUEST_TIMEOUT = 408;
const CONTENT_TOO_LARGE = 413;
const HEADER_FIELDS_TOO_LARGE = 431;
const INTERNAL_ERROR = 500;
const SERVICE_UNAVAILABLE = 503;

/**
 * One request's life, from BEGIN_REQUEST to END_REQUEST: params → handler → response, every ending
 * through the latch in `finish`. Its connection reaches it through the record handlers below.
 */
export class Exchange implements FailingRequest, RequestSource, InfoSource {
  phase: 'params' | 'running' = 'params';
  params: Params = EMPTY_PARAMS;
  body: RequestBody | null = null;
  stdinDone = false;
  isHead = false;
  started = false;
  ended = false;
  private paramsDecoder: ParamsDecoder | undefined;
  private paramsBytes = 0;
  private request: Request | undefined;
  private info: RequestInfo | undefined;
  // The deadline of the current phase: paramsTimeout while the params arrive, then handlerTimeout.
  private timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private cancelResponse: ((reason: unknown) => void) | undefined;

  constructor(
    private readonly host: ExchangeHost,
    readonly requestId: number,
    readonly role: RoleName,
    readonly keepConn: boolean,
  ) {
    this.paramsDecoder = new ParamsDecoder({
      maxBytes: host.options.maxParamsBytes,
      maxPairs: host.options.maxParamsCount,
      encoding: 'latin1',
    });
  }

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

  /** What this request holds of its connection's budget: its params and its unread body. */
  get heldBytes(): number {
    return this.paramsBytes + (this.body?.buffered ?? 0);
  }

  // ------------------------------------------------------------------------------------------------
  // Records from the connection

  onParams(content: Uint8Array): void {
    const decoder = this.paramsDecoder;
    if (this.phase !== 'params' || !decoder) return;
    try {
      if (content.length > 0) {
        this.paramsBytes += content.length;
        decoder.push(content);
        return;
      }
      this.params = paramsMap(decoder.end());
    } catch (error) {
      const tooBig =
        error instanceof ProtocolError &&
        (error.code === 'PARAMS_TOO_LARGE' || error.code === 'TOO_MANY_PARAMS');
      this.reject(tooBig ? HEADER_FIELDS_TOO_LARGE : BAD_REQUEST, toError(error));
      return;
    }
    this.paramsDecoder = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.start();
  }

  /**
   * The params did not all come in the read that brought the BEGIN_REQUEST: from now on they have
   * paramsTimeout. Armed only then, so the usual request, whose head arrives whole, costs no timer.
   */
  armParamsDeadline(): void {
    if (this.phase !== 'params' || this.timer !== undefined) return;
    const timeout = this.host.options.paramsTimeout;
    this.timer = setTimeout(() => {
      const error = new RequestLimitError(
        'PARAMS_TIMEOUT',
        timeout,
        `Request ${this.requestId}'s params did not all arrive within paramsTimeout (${timeout} ms)`,
      );
      this.reject(REQUEST_TIMEOUT, error);
    }, timeout);
    this.timer.unref();
  }

  /** A BEGIN_REQUEST named this request's id while it is still active: the web server is broken. */
  onBeginRequestAgain(): void {
    const error = new ProtocolError(
      'REQUEST_ID_IN_USE',
      `BEGIN_REQUEST for request id ${this.requestId}, which is still active; its records cannot be told apart, so it is ended`,
    );
    this.reject(BAD_REQUEST, error);
  }

  onStdin(content: Uint8Array): void {
    if (this.phase !== 'running' || this.stdinDone) return;
    if (content.length === 0) {
      this.stdinDone = true;
      this.body?.end();
      return;
    }
    const body = this.body;
    if (!body) return; // GET/HEAD/Authorizer: STDIN bytes have nowhere to go.
    const max = this.host.options.maxBodyBytes;
    if (max !== undefined && body.received + content.length > max) {
      this.rejectTooLarge(body.received + content.length, max);
      return;
    }
    if (body.push(content)) this.host.onBodyBacklog(this);
  }

  onAbortRequest(): void {
    this.abort(new DOMException('The web server aborted the request (FCGI_ABORT_REQUEST)', 'AbortError'));
    const parts = this.started ? [encodeStreamEnd(RecordType.Stdout, this.requestId)] : [];
    this.finish(parts, AppStatus.Aborted);
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

  /** The connection is gone: abort, and close the latch with no END_REQUEST (nothing can be written). */
  abandon(reason: unknown): void {
    this.abort(reason);
    this.ended = true;
    clearTimeout(this.timer);
  }

  // ------------------------------------------------------------------------------------------------
  // The handler and its response

  private start(): void {
    const options = this.host.options;
    const params = this.params;
    const method = requestMethod(params);
    this.isHead = method === 'HEAD';
    const declared = declaredContentLength(params);
    const max = options.maxBodyBytes;
    this.phase = 'running';
    if (!isHttpToken(method)) {
      const error = new ProtocolError(
        'MALFORMED_PARAMS',
        `REQUEST_METHOD ${JSON.stringify(method)} is not an HTTP method`,
      );
      this.reject(BAD_REQUEST, error);
      return;
    }
    if (max !== undefined && declared !== undefined && declared > max) {
      this.rejectTooLarge(declared, max);
      return;
    }
    // An Authorizer gets no STDIN (FastCGI §6.3): nothing is left to drain after its response.
    if (this.role === 'authorizer') this.stdinDone = true;
    if (this.role === 'responder' && !isBodylessMethod(method)) {
      this.body = new RequestBody({
        declaredLength: declared,
        // Alone on its connection a request may hold the connection's whole budget, and no more.
        maxBufferedBytes: Math.min(options.maxUnreadBodyBytes, options.maxConnectionBytes),
        onDrain: () => this.host.resumeReading(),
        stallTimeout: options.bodyTimeout,
        onStall: () => this.onBodyTimeout(options.bodyTimeout),
      });
    }
    const info = createInfo(this);
    const request = createRequest(this);
    this.info = info;
    this.request = request;
    const timeout = options.handlerTimeout;
    if (timeout !== undefined) {
      this.timer = setTimeout(() => this.onHandlerTimeout(timeout), timeout);
      this.timer.unref();
    }
    this.invokeHandler(request, info);
  }

  /** Runs the handler; a synchronous Response is written synchronously, with no promise in between. */
  private invokeHandler(request: Request, info: RequestInfo): void {
    let result: unknown;
    try {
      result = this.host.handler(request, info);
    } catch (cause) {
      this.fail(new HandlerError(`The handler threw: ${message(cause)}`, { cause }));
      return;
    }
    if (isThenable(result)) {
      result
        .then(
          (value) => this.onResult(value),
          (cause: unknown) =>
            this.fail(new HandlerError(`The handler rejected: ${message(cause)}`, { cause })),
        )
        .then(undefined, (error: unknown) => this.internalError(error));
      return;
    }
    this.onResult(result);
  }

  private onResult(result: unknown): void {
    if (!isResponse(result)) {
      this.fail(new HandlerError(`The handler returned ${describe(result)}, not a Response`));
      return;
    }
    if (this.ended || this.aborted) {
      result.body?.cancel().catch(() => {});
      return;
    }
    let pending: Promise<void> | undefined;
    try {
      pending = writeResponse(this, result, this.isHead, AppStatus.Ok);
    } catch (error) {
      this.onWriteFailure(error);
      return;
    }
    pending?.catch((error: unknown) => this.onWriteFailure(error));
  }

  // ------------------------------------------------------------------------------------------------
  // Endings other than the handler's response (the decision itself is error-ending.ts's)

  private onWriteFailure(cause: unknown): void {
    const error =
      cause instanceof HandlerError
        ? cause
        : new HandlerError(`The response could not be sent: ${message(cause)}`, { cause });
    if (this.ended) {
      this.report(error);
      return;
    }
    this.fail(error);
  }

  private fail(error: Error, status = INTERNAL_ERROR): void {
    respondToError(this, error, status, this.host.options).catch((bug: unknown) => this.internalError(bug));
  }

  /** A bug in the responder must still end the request and must never become an unhandled rejection. */
  private internalError(bug: unknown): void {
    this.report(toError(bug));
    if (!this.ended) this.finish([], AppStatus.Error);
    this.host.destroy();
  }

  /** The responder answers by itself (431, 400, 413, 503), aborts the handler if any, and reports why. */
  reject(status: number, error: Error): void {
    this.report(error);
    // The rest of this request's records are still on the wire. Without multiplexing they would be
    // read as the next request's, so the connection closes; multiplexed, they are an inactive id's.
    if (!this.host.options.multiplex) this.host.closeAfterCurrent();
    this.abort(error);
    endWithError(this, status, AppStatus.Error);
  }

  private rejectTooLarge(length: number, max: number): void {
    const error = new RequestLimitError(
      'BODY_TOO_LARGE',
      max,
      `Request body of ${length} bytes exceeds maxBodyBytes (${max})`,
    );
    this.reject(CONTENT_TOO_LARGE, error);
  }

  private onBodyTimeout(timeout: number): void {
    const error = new RequestLimitError(
      'BODY_TIMEOUT',
      timeout,
      `Request ${this.requestId}'s handler waited longer than bodyTimeout (${timeout} ms) for more of its body`,
    );
    this.reject(REQUEST_TIMEOUT, error);
  }

  private onHandlerTimeout(timeout: number): void {
    if (this.ended) return;
    const reason = new DOMException(`The handler did not finish within ${timeout} ms`, 'TimeoutError');
    this.abort(reason);
    const error = new HandlerError(`The handler timed out after ${timeout} ms`, { cause: reason });
    if (this.started) {
      endWithError(this, SERVICE_UNAVAILABLE, AppStatus.Aborted);
      this.report(error);
      return;
    }
    this.fail(error, SERVICE_UNAVAILABLE);
  }

  private report(error: Error): void {
    reportError(this.host.options.onError, error, this.context());
  }

  // ------------------------------------------------------------------------------------------------
  // ResponseSink: where the response writer and the error ending write

  write(parts: Uint8Array[]): boolean {
    if (this.ended) return true;
    return this.host.write(parts);
  }

  drain(): Promise<void> {
    return this.host.drained();
  }

  finish(parts: Uint8Array[], appStatus: number): void {
    this.end(parts, appStatus, false);
  }

  finishEncoded(bytes: Uint8Array, appStatus: number): void {
    this.end([bytes], appStatus, true);
  }

  setCancel(cancel: ((reason: unknown) => void) | undefined): void {
    this.cancelResponse = cancel;
  }

  context(): ErrorContext {
    return { request: this.request, info: this.info };
  }

  /** The latch: END_REQUEST goes out once (`endIncluded`: the last part already carries it). */
  private end(parts: Uint8Array[], appStatus: number, endIncluded: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.cancelResponse = undefined;
    if (!endIncluded) parts.push(encodeEndRequest(this.requestId, appStatus, ProtocolStatus.RequestComplete));
    this.host.requestEnded(this, parts);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return typeof value;
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
