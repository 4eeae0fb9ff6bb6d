import {
  decodeEndRequestBody,
  encodeBeginRequest,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  type FcgiRecord,
  KEEP_CONN,
  ProtocolStatus,
  RecordType,
  type ResponseHead,
  ResponseHeadParser,
  Role,
} from '@fcgi/protocol';
import type { Connection, RecordSink } from './connection';
import { FcgiClientError, FcgiStatusError } from './errors';
import type { RequestBody } from './request-body';
import { registerStderr, StderrCollector } from './stderr';

export interface ExchangeInit {
  readonly request: Request;
  /** The encoded name/value pairs of the PARAMS stream. */
  readonly params: Uint8Array;
  readonly body: RequestBody;
  readonly keepConn: boolean;
  /** How long to wait for END_REQUEST after ABORT_REQUEST before dropping the connection. */
  readonly abortGraceMs: number;
  readonly maxHeadBytes?: number | undefined;
  readonly onStderr?: ((text: string) => void) | undefined;
  /**
   * The connection carries other requests at the same time: failures of this request end it alone
   * (ABORT_REQUEST, never destroying the connection), and its body may not pause the socket.
   */
  readonly multiplexed?: boolean | undefined;
  /** Multiplexed only: most unread body bytes kept for this request before it is aborted. */
  readonly maxBufferedBodyBytes?: number | undefined;
}

/** How far the response got: waiting for the head, streaming the body, or over. */
type Phase = 'head' | 'body' | 'discard' | 'aborting' | 'done';

/** Response body bytes buffered ahead of the reader before the socket stops being read. */
const BODY_HIGH_WATER_MARK = 64 * 1024;
/** Statuses whose responses never carry a body (Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const END_REQUEST_BODY_LENGTH = 8;
/** A body up to this size goes out in the same write as BEGIN_REQUEST and PARAMS. */
const SMALL_BODY_BYTES = 8 * 1024;
/** Multiplexed: unread response bytes one request may hold before it is aborted. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 1024 * 1024;

function lengthMismatch(sent: number, declared: number): FcgiClientError {
  return new FcgiClientError(
    'BODY_LENGTH_MISMATCH',
    `The request body stream ${sent > declared ? 'exceeded' : 'ended at'} ${sent} bytes but Content-Length says ${declared}`,
  );
}

/**
 * One request/response over one connection: writes BEGIN_REQUEST, PARAMS and STDIN (with backpressure),
 * reads STDOUT into a Response whose body is fed only as fast as it is read, STDERR into a collector,
 * and settles on END_REQUEST, an abort, a failure or the connection closing.
 */
export class Exchange implements RecordSink {
  readonly #connection: Connection;
  readonly #init: ExchangeInit;
  readonly #requestId: number;
  readonly #headParser: ResponseHeadParser;
  readonly #stderr: StderrCollector;
  #phase: Phase = 'head';
  #receivedAny = false;
  #stdoutBytes = 0;
  #stdinComplete = false;
  #stdinStarted = false;
  #bodyReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #abortTimer: NodeJS.Timeout | undefined;
  #resolveResponse!: (response: Response) => void;
  #rejectResponse!: (error: unknown) => void;
  #resolveFinished!: () => void;

  /** Settles when the response head has arrived (or the request failed before it). */
  readonly response: Promise<Response>;
  /** Resolves once the connection has been handed back (reusable or not). */
  readonly finished: Promise<void>;

  constructor(connection: Connection, init: ExchangeInit) {
    this.#connection = connection;
    this.#init = init;
    this.#requestId = init.multiplexed ? connection.allocateRequestId() : connection.nextRequestId();
    this.#headParser = new ResponseHeadParser(
      init.maxHeadBytes === undefined ? undefined : { maxHeadBytes: init.maxHeadBytes },
    );
    this.#stderr = new StderrCollector(init.onStderr);
    this.response = new Promise<Response>((resolve, reject) => {
      this.#resolveResponse = resolve;
      this.#rejectResponse = reject;
    });
    this.finished = new Promise<void>((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  /** True when no byte of a response arrived: the server never saw this request, or died first. */
  get receivedAny(): boolean {
    return this.#receivedAny;
  }

  /** True once END_REQUEST arrived or the request failed: the connection is no longer ours. */
  get ended(): boolean {
    return this.#phase === 'done';
  }

  /** False while the response body holds as much as its reader may fall behind by. */
  get wantsData(): boolean {
    return !(this.#phase === 'body' && this.#controller && (this.#controller.desiredSize ?? 0) <= 0);
  }

  /** True when sending this request again would send the same bytes (its body was not consumed). */
  get replayable(): boolean {
    return this.#init.body.kind !== 'stream' || !this.#stdinStarted;
  }

  start(): void {
    this.#connection.attach(this.#requestId, this);
    const begin = encodeBeginRequest(this.#requestId, Role.Responder, this.#init.keepConn ? KEEP_CONN : 0);
    const params = encodeStreamRecords(RecordType.Params, this.#requestId, this.#init.params, { end: true });
    const body = this.#init.body;
    if (body.kind === 'none' || (body.kind === 'bytes' && body.bytes.byteLength <= SMALL_BODY_BYTES)) {
      // The whole request in one write: begin, params, and the STDIN stream.
      const stdin =
        body.kind === 'none'
          ? [encodeStreamEnd(RecordType.Stdin, this.#requestId)]
          : encodeStreamRecords(RecordType.Stdin, this.#requestId, body.bytes, { end: true });
      this.#connection.write([begin, ...params, ...stdin]);
      this.#stdinComplete = true;
      return;
    }
    const flowing = this.#connection.write([begin, ...params]);
    void this.#sendBody(body, flowing);
  }

  /** Sends ABORT_REQUEST and rejects the response (or errors its body) with `reason`. */
  abort(reason: unknown): void {
    if (this.#phase === 'done' || this.#phase === 'aborting') return;
    this.#failConsumer(reason);
    this.#phase = 'aborting';
    this.#stopBody(reason);
    this.#connection.write([encodeRecord(RecordType.AbortRequest, this.#requestId)]);
    this.#connection.updateFlow();
    // Wait a little for the backend's END_REQUEST so it can finish cleanly, but never for long. A
    // multiplexed connection carries other requests: it is not destroyed, only barred from new ones.
    this.#abortTimer = setTimeout(
      () => (this.#init.multiplexed ? this.#finish(false) : this.#connection.destroy()),
      this.#init.abortGraceMs,
    );
  }

  /**
   * Ends the request with `error` (a timeout, a protocol violation): destroys the connection, or on a
   * multiplexed one, which other requests share, aborts this request alone.
   */
  fail(error: unknown): void {
    if (this.#phase === 'done') return;
    if (this.#init.multiplexed) {
      this.abort(error);
      return;
    }
    this.#failConsumer(error);
    this.#finish(false);
    this.#connection.destroy();
  }

  onRecord(record: FcgiRecord): void {
    // §3.3: records for a request id that is not active are ignored.
    if (record.requestId !== this.#requestId || this.#phase === 'done') return;
    this.#receivedAny = true;
    switch (record.type) {
      case RecordType.Stdout:
        this.#onStdout(record.content);
        return;
      case RecordType.Stderr:
        this.#stderr.push(record.content);
        return;
      case RecordType.EndRequest:
        this.#onEndRequest(record.content);
        return;
      default:
        this.fail(
          new FcgiClientError(
            'MALFORMED_RESPONSE',
            `The FastCGI backend sent a record of type ${record.type}, which a backend never sends for a request`,
          ),
        );
    }
  }

  onConnectionLost(error: FcgiClientError): void {
    if (this.#phase === 'done') return;
    if (this.#phase !== 'aborting') this.#failConsumer(error);
    this.#finish(false);
  }

  #onStdout(content: Uint8Array): void {
    if (content.length === 0) return;
    this.#stdoutBytes += content.length;
    if (this.#phase === 'body') {
      this.#enqueue(content);
      return;
    }
    if (this.#phase !== 'head') return; // discarding (HEAD, null-body status) or aborting
    let parsed: { head: ResponseHead; body: Uint8Array } | null;
    try {
      parsed = this.#headParser.push(content);
    } catch (error) {
      this.fail(
        new FcgiClientError(
          'MALFORMED_RESPONSE',
          `The FastCGI backend sent an invalid response head: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      return;
    }
    if (parsed) this.#onHead(parsed.head, parsed.body);
  }

  #onHead(head: ResponseHead, rest: Uint8Array): void {
    const nullBody = this.#init.request.method === 'HEAD' || NULL_BODY_STATUSES.has(head.status);
    let response: Response;
    try {
      const headers = new Headers();
      for (const [name, value] of head.headers) headers.append(name, value);
      const body = nullBody ? null : this.#createBody();
      response = new Response(body, { status: head.status, statusText: head.statusText, headers });
    } catch (error) {
      this.fail(
        new FcgiClientError(
          'MALFORMED_RESPONSE',
          `The FastCGI backend's response head cannot be a Response: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      return;
    }
    registerStderr(response, this.#stderr.done);
    this.#phase = nullBody ? 'discard' : 'body';
    if (!nullBody && rest.length > 0) this.#enqueue(rest);
    this.#resolveResponse(response);
  }

  #createBody(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          if (this.#phase === 'body') this.#connection.updateFlow();
        },
        cancel: (reason) => {
          this.#controller = undefined;
          if (this.#phase === 'body') this.abort(reason);
        },
      },
      { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
  }

  #enqueue(chunk: Uint8Array): void {
    const controller = this.#controller;
    if (!controller) return;
    controller.enqueue(chunk);
    const desiredSize = controller.desiredSize ?? 0;
    if (desiredSize > 0) return;
    const limit = this.#init.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES;
    if (this.#init.multiplexed && BODY_HIGH_WATER_MARK - desiredSize > limit) {
      // FastCGI has no per-request flow control: holding more would grow without bound, and pausing
      // the socket would stall every other request on it.
      this.abort(
        new FcgiClientError(
          'RESPONSE_BUFFER_FULL',
          `The response body was not read while more than ${limit} bytes of it arrived on a multiplexed connection (maxBufferedBodyBytes); the request was aborted`,
        ),
      );
      return;
    }
    // The reader is behind: stop reading the socket (once no other request wants it) until pull().
    this.#connection.updateFlow();
  }

  #onEndRequest(content: Uint8Array): void {
    if (content.length < END_REQUEST_BODY_LENGTH) {
      this.fail(
        new FcgiClientError('MALFORMED_RESPONSE', 'The FastCGI backend sent a truncated END_REQUEST'),
      );
      return;
    }
    const { appStatus, protocolStatus } = decodeEndRequestBody(content);
    // Unsent STDIN would reach the backend as stray records of the next request: php-fpm closes the
    // connection on those, so only a request whose STDIN was sent completely leaves it reusable.
    // A multiplexing backend ignores records of ended ids (§3.3), so neither applies there; but one
    // that answers CANT_MPX_CONN gets no further concurrent request on this connection.
    const reusable = this.#init.multiplexed
      ? protocolStatus !== ProtocolStatus.CantMpxConn
      : this.#init.keepConn && this.#stdinComplete;
    if (this.#phase === 'aborting') {
      this.#finish(this.#init.multiplexed === true);
      return;
    }
    if (protocolStatus !== ProtocolStatus.RequestComplete) {
      this.#failConsumer(this.#withStderr(new FcgiStatusError(protocolStatus, appStatus)));
    } else if (this.#phase === 'head') {
      this.#failConsumer(
        this.#withStderr(
          this.#stdoutBytes === 0
            ? new FcgiClientError(
                'EMPTY_RESPONSE',
                `The FastCGI backend ended the request (appStatus ${appStatus}) without sending a response`,
              )
            : new FcgiClientError(
                'MALFORMED_RESPONSE',
                'The FastCGI backend ended the request before the blank line that ends the response head',
              ),
        ),
      );
    } else if (this.#phase === 'body') {
      this.#controller?.close();
      this.#controller = undefined;
    }
    this.#finish(reusable);
  }

  /** Sends the request body as STDIN records, waiting for the socket to drain whenever it is full. */
  async #sendBody(body: RequestBody, flowing: boolean): Promise<void> {
    try {
      if (body.kind === 'bytes') {
        const parts = encodeStreamRecords(RecordType.Stdin, this.#requestId, body.bytes, { end: true });
        for (let i = 0; i < parts.length; i += 2) {
          if (!flowing) await this.#connection.drain();
          if (this.#stdinStopped) return;
          flowing = this.#connection.write(parts.slice(i, i + 2));
        }
        this.#stdinComplete = true;
        return;
      }
      if (body.kind !== 'stream') return;
      const reader = body.stream.getReader();
      this.#bodyReader = reader;
      this.#stdinStarted = true;
      const declared = body.declaredLength;
      let sent = 0;
      for (;;) {
        if (!flowing) await this.#connection.drain();
        if (this.#stdinStopped) return;
        const { done, value } = await reader.read();
        if (this.#stdinStopped) return;
        if (done) {
          // A short body would leave the backend waiting for bytes that never come.
          if (declared !== undefined && sent !== declared) throw lengthMismatch(sent, declared);
          this.#connection.write([encodeStreamEnd(RecordType.Stdin, this.#requestId)]);
          this.#stdinComplete = true;
          return;
        }
        if (!(value instanceof Uint8Array))
          throw new TypeError('A request body stream must yield Uint8Array chunks');
        sent += value.byteLength;
        if (declared !== undefined && sent > declared) throw lengthMismatch(sent, declared);
        if (value.byteLength > 0) {
          flowing = this.#connection.write(encodeStreamRecords(RecordType.Stdin, this.#requestId, value));
        }
      }
    } catch (error) {
      // A closed connection is reported through onConnectionLost; anything else came from the body.
      if (this.#stdinStopped || this.#connection.closed) return;
      this.abort(error);
    }
  }

  get #stdinStopped(): boolean {
    return this.#phase === 'done' || this.#phase === 'aborting' || this.#connection.closed;
  }

  #stopBody(reason: unknown): void {
    const reader = this.#bodyReader;
    if (!reader) return;
    this.#bodyReader = undefined;
    reader.cancel(reason).catch(() => {});
  }

  #withStderr<E extends FcgiClientError | FcgiStatusError>(error: E): E {
    error.stderr = this.#stderr.text;
    return error;
  }

  /** Rejects the pending response, or errors the body stream the consumer is reading. */
  #failConsumer(error: unknown): void {
    if (this.#phase === 'head') {
      if (error instanceof FcgiClientError || error instanceof FcgiStatusError) this.#withStderr(error);
      this.#rejectResponse(error);
    } else if (this.#controller) {
      this.#controller.error(error);
      this.#controller = undefined;
    }
  }

  #finish(reusable: boolean): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    if (this.#abortTimer) clearTimeout(this.#abortTimer);
    if (this.#bodyReader && !this.#stdinComplete) {
      this.#stopBody(new FcgiClientError('CONNECTION_CLOSED', 'The FastCGI request ended'));
    }
    this.#stderr.end();
    this.#connection.detach(this.#requestId, this, reusable);
    this.#resolveFinished();
  }
}
