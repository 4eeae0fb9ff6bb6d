import { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { LightResponse, type RequestInfo } from '@fcgi/responder';
import { ChunkedDecoder } from './chunked-decoder';
import { applyRequestHeaders, httpVersion, rawRequestHeaders, requestTarget } from './request-head';
import { HEAD_END, parseResponseHead, type ResponseHead } from './response-head';

// A response whose body is complete once its writer's turn ends and stays under this size goes to the
// responder whole (one Content-Length, one socket write); anything bigger or slower is streamed.
const COLLECT_LIMIT = 64 * 1024;
// How much of a streamed response body may wait for the web server before res.write() returns false.
const STREAM_HIGH_WATER_MARK = 64 * 1024;
// node:http never writes a head this long; a bound keeps a bug from buffering without end.
const MAX_HEAD_LENGTH = 1024 * 1024;
const INTERIM_STATUS_LIMIT = 200;
const NULL_BODY_STATUS = new Set([204, 205, 304]);

enum Phase {
  /** Nothing but (maybe) interim 1xx heads written yet. */
  Head,
  /** The head is known; body bytes are gathered until the writer's turn ends. */
  Collect,
  /** The Response went out with a stream body that res.write() feeds. */
  Stream,
  /** The Response went out complete, or the exchange failed. */
  Sent,
}

type WriteCallback = (error?: Error | null) => void;
type BodyPart = Uint8Array | string;

/**
 * Node's ServerResponse tracks "a write returned false" in a private field and only node:http's own
 * socket handler clears it on 'drain'. Left set, `res.writableNeedDrain` stays true and a later
 * `stream.pipe(res)` pauses forever, so the bridge clears it itself: found once at start-up by its
 * description; on a runtime without it the bridge only emits 'drain'.
 */
const NEED_DRAIN: symbol | undefined = (() => {
  try {
    const probe = new ServerResponse(new IncomingMessage(undefined as never));
    return Object.getOwnPropertySymbols(probe).find((symbol) => symbol.description === 'kNeedDrain');
  } catch {
    return undefined;
  }
})();

function toBuffer(part: BodyPart): Buffer {
  if (typeof part === 'string') return Buffer.from(part, 'utf8');
  return Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

function toError(reason: unknown, fallback: string): Error {
  if (reason instanceof Error) return reason;
  return new Error(reason === undefined ? fallback : String(reason));
}

/** What node:http's server gives a request whose client went away before it ended. */
function connectionReset(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

function ignore(): void {}

/**
 * One FastCGI request seen as one node:http connection. The app gets node:http's own IncomingMessage and
 * ServerResponse (so Express and Connect, which swap their prototypes, keep every method), attached to
 * this socket stand-in: the request body is pulled from the responder's STDIN stream, and what the
 * ServerResponse writes (its serialised head, then the body) becomes the Response the responder sends.
 * The bridge lives in the socket because a socket is the one part of a request node:http lets anyone
 * supply ("any Duplex stream can be passed").
 */
export class BridgeSocket extends Duplex {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  // The net.Socket fields apps read: the HTTP client as the web server saw it, and the server side.
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean | undefined;
  readonly connecting = false;

  private readonly info: RequestInfo;
  private readonly requestBody: ReadableStream<Uint8Array> | null;
  private bodyReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private bodyReading = false;
  private bodyStarted = false;

  private phase = Phase.Head;
  private headText = '';
  private head: ResponseHead | undefined;
  private dechunker: ChunkedDecoder | undefined;
  private parts: BodyPart[] = [];
  private partsLength = 0;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private heldCallback: WriteCallback | undefined;

  private delivered = false;
  /** The listener has returned: from now on a head written starts its own decision. */
  private handlerReturned = false;
  private abortListener: (() => void) | undefined;
  private bodyCallbacks:
    | { chunk: (result: ReadableStreamReadResult<Uint8Array>) => void; error: (error: unknown) => void }
    | undefined;
  private outcome: Response | Error | undefined;
  private settle: { resolve: (response: Response) => void; reject: (error: Error) => void } | undefined;
  /** The exchange is over: the response finished, or the request was aborted or failed. */
  private over = false;

  constructor(request: Request, info: RequestInfo) {
    super({ decodeStrings: false, allowHalfOpen: true });
    this.info = info;
    const params = info.params;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    const family = info.remoteAddress ? isIP(info.remoteAddress) : 0;
    this.remoteFamily = family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : undefined;
    this.localAddress = params.SERVER_ADDR || undefined;
    const localPort = Number(params.SERVER_PORT);
    this.localPort = Number.isInteger(localPort) && localPort > 0 ? localPort : undefined;
    const https = params.HTTPS;
    if (https === 'on' || https === 'ON' || https === '1') this.encrypted = true;
    this.requestBody = request.body;

    const req = new IncomingMessage(this as unknown as Socket);
    req.method = request.method;
    req.url = requestTarget(params, request);
    const version = httpVersion(params);
    req.httpVersionMajor = version.major;
    req.httpVersionMinor = version.minor;
    req.httpVersion = `${version.major}.${version.minor}`;
    applyRequestHeaders(req, rawRequestHeaders(params, this.requestBody !== null));
    // Own properties, not a subclass: Express replaces req's prototype with its own (whose chain goes
    // straight to IncomingMessage.prototype), which would drop subclass methods.
    req._read = readRequestBody;
    req._destroy = destroyRequest;
    if (this.requestBody === null) {
      req.complete = true;
      req.push(null);
    }
    this.req = req;

    const res = new ServerResponse(req);
    // The web server frames the response: no chunked encoding from node:http, and it sets Date itself.
    res.useChunkedEncodingByDefault = false;
    res.sendDate = false;
    res.assignSocket(this as unknown as Socket);
    // Module-level listeners, not per-request closures: this constructor runs once per request.
    res.on('finish', onResponseFinish);
    // A write bigger than this socket's own buffer makes res.write() return false even when the web
    // server is keeping up, so every drain of the socket goes on to res, as node:http's server does.
    this.on('drain', onSocketDrain);
    this.res = res;
  }

  /** The Response for the responder: now if the app already ended it, else when its head is written. */
  response(): Response | Promise<Response> {
    this.handlerReturned = true;
    if (this.phase === Phase.Collect) {
      if (this.res.writableEnded) this.complete();
      else queueMicrotask(() => this.decide());
    }
    // An abort can only arrive in a later turn, and a response already complete needs no news of it:
    // only an exchange still open listens (which spares the responder an AbortController per request).
    if (this.phase !== Phase.Sent) this.watchAbort();
    const outcome = this.outcome;
    if (outcome instanceof Error) return Promise.reject(outcome);
    if (outcome) return outcome;
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  /** The app's listener threw or rejected: answer 500 if nothing was sent yet, else cut the response. */
  fail(reason: unknown): void {
    this.abort(toError(reason, 'The request listener failed'));
  }

  // --- net.Socket methods node:http and frameworks call on req.socket / res.socket ---

  setTimeout(_ms: number, callback?: () => void): this {
    // Timeouts belong to the responder (handlerTimeout, idleTimeout); keep the listener contract only.
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (!this.localAddress) return {};
    const family = isIP(this.localAddress) === 6 ? 'IPv6' : 'IPv4';
    return { address: this.localAddress, family, port: this.localPort ?? 0 };
  }

  // --- Duplex: the readable side is never used (the request body goes to req directly) ---

  override _read(): void {}

  override _write(chunk: BodyPart, encoding: BufferEncoding, callback: WriteCallback): void {
    try {
      this.accept(chunk, encoding);
    } catch (error) {
      callback();
      this.fail(error);
      return;
    }
    this.release(callback);
  }

  override _writev(
    chunks: Array<{ chunk: BodyPart; encoding: BufferEncoding }>,
    callback: WriteCallback,
  ): void {
    try {
      for (const { chunk, encoding } of chunks) this.accept(chunk, encoding);
    } catch (error) {
      callback();
      this.fail(error);
      return;
    }
    this.release(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // res.destroy() or req.socket.destroy() from the app: the response will not be completed.
    if (!this.over) this.abort(error ?? new Error('The response was destroyed before it ended'));
    this.releaseHeld();
    // Never emit 'error' on this socket: the failure already went to the responder through abort().
    callback(null);
  }

  // --- the response side ---

  /** A write is done when the web server wants more: until then node:http buffers and returns false. */
  private release(callback: WriteCallback): void {
    const controller = this.controller;
    if (this.phase === Phase.Stream && controller && (controller.desiredSize ?? 1) <= 0 && !this.over) {
      this.heldCallback = callback;
      return;
    }
    callback();
  }

  private releaseHeld(): void {
    const callback = this.heldCallback;
    if (!callback) return;
    this.heldCallback = undefined;
    callback();
  }

  private watchAbort(): void {
    const signal = this.info.signal;
    if (signal.aborted) {
      this.onAbort();
      return;
    }
    this.abortListener = () => this.onAbort();
    signal.addEventListener('abort', this.abortListener);
  }

  private unwatchAbort(): void {
    const listener = this.abortListener;
    if (!listener) return;
    this.abortListener = undefined;
    this.info.signal.removeEventListener('abort', listener);
  }

  /** node:http's server does this on its socket's 'drain': the response may be written to again. */
  forwardDrain(): void {
    const res = this.res as ServerResponse & Record<symbol, unknown>;
    if (res.destroyed || res.writableFinished) return;
    if (NEED_DRAIN) {
      if (!res[NEED_DRAIN]) return;
      res[NEED_DRAIN] = false;
    }
    res.emit('drain');
  }

  private accept(chunk: BodyPart, encoding: BufferEncoding): void {
    if (this.phase === Phase.Sent) return;
    let body: BodyPart | undefined = chunk;
    if (this.head === undefined) body = this.acceptHead(chunk);
    if (body === undefined || body.length === 0) return;
    if (typeof body === 'string' && encoding !== 'utf8') body = Buffer.from(body, encoding);
    if (this.dechunker) {
      for (const piece of this.dechunker.push(toBuffer(body))) this.addBody(piece);
      return;
    }
    this.addBody(body);
  }

  /** Takes the head from the start of what node:http writes; returns the body bytes that followed it. */
  private acceptHead(chunk: BodyPart): BodyPart | undefined {
    const text = typeof chunk === 'string' ? chunk : toBuffer(chunk).toString('latin1');
    const before = this.headText.length;
    const all = before === 0 ? text : this.headText + text;
    const end = all.indexOf(HEAD_END, Math.max(0, before - HEAD_END.length + 1));
    if (end === -1) {
      if (all.length > MAX_HEAD_LENGTH) throw new Error('node:http wrote a response head without an end');
      this.headText = all;
      return undefined;
    }
    this.headText = '';
    const head = parseResponseHead(all.slice(0, end));
    const bodyStart = end + HEAD_END.length - before;
    const rest = typeof chunk === 'string' ? chunk.slice(bodyStart) : chunk.subarray(bodyStart);
    // writeContinue(), writeProcessing(), writeEarlyHints(): FastCGI has no interim responses.
    if (head.status < INTERIM_STATUS_LIMIT) return rest.length > 0 ? this.acceptHead(rest) : undefined;
    this.head = head;
    this.phase = Phase.Collect;
    if (head.chunked) this.dechunker = new ChunkedDecoder();
    // Written while the listener runs, response() decides once it returns; written later, decide now.
    if (this.handlerReturned) queueMicrotask(() => this.decide());
    return rest;
  }

  private addBody(part: BodyPart): void {
    if (this.phase === Phase.Collect) {
      this.parts.push(part);
      this.partsLength += part.length;
      if (this.partsLength > COLLECT_LIMIT) this.startStreaming();
      return;
    }
    if (this.phase === Phase.Stream) this.controller?.enqueue(toBuffer(part));
  }

  /** The turn that wrote the head is over: a response that ended goes whole, any other is streamed. */
  private decide(): void {
    if (this.phase !== Phase.Collect) return;
    if (this.res.writableEnded) this.complete();
    else this.startStreaming();
  }

  private complete(): void {
    const head = this.head as ResponseHead;
    this.phase = Phase.Sent;
    const parts = this.parts;
    this.parts = [];
    let body: string | Uint8Array | null = null;
    if (parts.length === 1) {
      const only = parts[0] as BodyPart;
      // A string body without Content-Type must stay bytes: the light Response would add text/plain.
      body = typeof only === 'string' && !head.hasContentType ? toBuffer(only) : only;
    } else if (parts.length > 1) body = Buffer.concat(parts.map(toBuffer));
    try {
      const init = { status: head.status, statusText: head.statusText, headers: head.headers };
      this.deliver(new LightResponse(body as BodyInit | null, init) as unknown as Response);
    } catch (error) {
      this.deliver(toError(error, 'The response could not be built'));
    }
  }

  private startStreaming(): void {
    const head = this.head as ResponseHead;
    this.phase = Phase.Stream;
    const parts = this.parts;
    this.parts = [];
    try {
      const body = NULL_BODY_STATUS.has(head.status)
        ? null
        : new ReadableStream<Uint8Array>(
            {
              start: (controller) => {
                this.controller = controller;
                for (const part of parts) controller.enqueue(toBuffer(part));
              },
              pull: () => this.releaseHeld(),
              cancel: (reason) => this.abort(toError(reason, 'The web server stopped reading the response')),
            },
            { highWaterMark: STREAM_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
          );
      this.deliver(new Response(body, init(head)));
    } catch (error) {
      this.abort(toError(error, 'The response could not be built'));
    }
  }

  private deliver(value: Response | Error): void {
    if (this.delivered) return;
    this.delivered = true;
    const settle = this.settle;
    if (!settle) {
      this.outcome = value;
      return;
    }
    this.settle = undefined;
    if (value instanceof Error) settle.reject(value);
    else settle.resolve(value);
  }

  onFinish(): void {
    if (this.phase === Phase.Head) this.deliver(new Error('The response finished without a head'));
    if (this.phase === Phase.Collect) this.complete();
    if (this.phase === Phase.Stream) {
      try {
        this.controller?.close();
      } catch {
        // Already errored by an abort.
      }
    }
    this.phase = Phase.Sent;
    this.finishExchange();
  }

  /** The response is complete: what node:http's server does after 'finish'. */
  private finishExchange(): void {
    if (this.over) return;
    this.over = true;
    this.unwatchAbort();
    const req = this.req;
    // A body nobody read is discarded (node:http "dumps" it) so that req still ends and closes.
    if (!this.bodyStarted && !req.readableEnded) {
      this.stopBody();
      if (!req.complete && this.requestBody !== null) req.push(null);
      req.resume();
    }
    process.nextTick(closeSocket, this);
  }

  // --- the request side ---

  /** FCGI_ABORT_REQUEST, the web server hanging up, a failed body, or the app destroying the exchange. */
  private onAbort(): void {
    this.abort(toError(this.info.signal.reason, 'The web server aborted the request'), false);
  }

  /**
   * Ends the exchange as node:http does when the connection goes. `report` is false when the responder
   * itself aborted (the web server's ABORT_REQUEST, a lost connection, handlerTimeout): it already ended
   * the request and discards what the handler settles with, so a placeholder keeps an everyday client
   * disconnect from being reported as a handler failure.
   */
  private abort(error: Error, report = true): void {
    if (this.over) return;
    this.over = true;
    this.unwatchAbort();
    if (this.phase === Phase.Stream) {
      try {
        this.controller?.error(error);
      } catch {
        // Already closed.
      }
    }
    this.phase = Phase.Sent;
    this.deliver(report ? error : new Response(null));
    const req = this.req as IncomingMessage & { aborted: boolean };
    if (!req.destroyed) {
      // As node:http does when a client goes away: 'aborted' for a request not read to its end, then
      // an ECONNRESET error (only if someone listens for it) and 'close'.
      if (!req.readableEnded || !req.complete) {
        req.aborted = true;
        req.emit('aborted');
      }
      req.destroy(connectionReset());
    }
    this.stopBody();
    if (!this.destroyed) this.destroy();
  }

  /** req._read: pulls the next STDIN chunk, zero-copy, when the app wants more. */
  readBody(): void {
    const body = this.requestBody;
    if (this.bodyReading || body === null || this.over) return;
    this.bodyStarted = true;
    this.bodyReading = true;
    this.bodyReader ??= body.getReader();
    this.bodyCallbacks ??= {
      chunk: (result) => this.onBodyChunk(result),
      error: (error) => this.onBodyError(error),
    };
    this.bodyReader.read().then(this.bodyCallbacks.chunk, this.bodyCallbacks.error);
  }

  private onBodyChunk(result: ReadableStreamReadResult<Uint8Array>): void {
    this.bodyReading = false;
    const req = this.req;
    if (req.destroyed) return;
    if (result.done) {
      req.complete = true;
      req.push(null);
      return;
    }
    if (req.push(toBuffer(result.value))) this.readBody();
  }

  private onBodyError(error: unknown): void {
    this.bodyReading = false;
    this.abort(toError(error, 'The request body failed'));
  }

  /** The app destroyed req: like node:http, a request whose body was not all received takes the exchange down. */
  requestDestroyed(): void {
    if (!this.over && !this.req.complete)
      this.abort(new Error('The request was destroyed before its body ended'));
  }

  private stopBody(): void {
    const reader = this.bodyReader;
    if (reader) reader.cancel().catch(ignore);
    else if (this.requestBody && !this.requestBody.locked) this.requestBody.cancel().catch(ignore);
  }
}

function init(head: ResponseHead): ResponseInit {
  return { status: head.status, statusText: head.statusText, headers: head.headers };
}

function onResponseFinish(this: ServerResponse): void {
  const socket = this.socket;
  if (socket instanceof BridgeSocket) socket.onFinish();
}

function onSocketDrain(this: BridgeSocket): void {
  this.forwardDrain();
}

function closeSocket(socket: BridgeSocket): void {
  // Emits 'close' on res through node:http's own socket listener, as after any finished response.
  if (!socket.destroyed) socket.destroy();
}

function readRequestBody(this: IncomingMessage): void {
  const socket = this.socket;
  if (socket instanceof BridgeSocket) socket.readBody();
}

function destroyRequest(
  this: IncomingMessage,
  error: Error | null,
  callback: (error?: Error | null) => void,
): void {
  const socket = this.socket;
  if (socket instanceof BridgeSocket) socket.requestDestroyed();
  // node:http reports the error only to someone listening for it.
  callback(error && this.listenerCount('error') > 0 ? error : null);
}
