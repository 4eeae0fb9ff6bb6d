import {
  encodeEndRequestBody,
  encodeStreamEnd,
  encodeStreamRecords,
  FCGI_HEADER_LEN,
  formatResponseHead,
  type HeadersLike,
  ProtocolStatus,
  RecordType,
  writeHeader,
} from '@fcgi/protocol';
import { AppStatus } from './app-status';
import { endWithError } from './error-ending';
import { HandlerError } from './errors';
import { type LightParts, LightResponse } from './light-response';
import { nativeBodySource } from './native-body-source';

/** Where one request's response goes: the connection, behind the request's "ended" latch. */
export interface ResponseSink {
  readonly requestId: number;
  /** The latch: END_REQUEST was sent (or the connection is gone); nothing more may be written. */
  readonly ended: boolean;
  /** The response head has been handed to the socket. */
  started: boolean;
  /** Writes STDOUT bytes; false means wait for drain() before writing more. */
  write(parts: Uint8Array[]): boolean;
  drain(): Promise<void>;
  /** Writes `parts`, then END_REQUEST, and closes the latch. */
  finish(parts: Uint8Array[], appStatus: number): void;
  /** Writes `bytes`, which already end with this request's END_REQUEST, and closes the latch. */
  finishEncoded(bytes: Uint8Array, appStatus: number): void;
  /** Registers how to stop the response body if the request is aborted. */
  setCancel(cancel: ((reason: unknown) => void) | undefined): void;
}

// A body that is complete before the event loop has turned twice is sent with a Content-Length in one
// socket write: that covers every in-memory body of a global Response read through its stream (a
// string or bytes arrive as one chunk; a Blob, and a FormData holding one, need one turn more). A body
// still producing after that is streamed as it is produced, so a server-sent event is never held back.
// Collecting stops at this many bytes unless the stream has already ended by then, which bounds what is
// held for a stream that produces synchronously without end.
const COLLECT_LIMIT = 64 * 1024;
const SETTLE_TURNS = 2;
const LATER = Symbol('later');
// Up to this much head + body is copied into one buffer with its records; above, bodies stay views.
const SINGLE_BUFFER_LIMIT = 16 * 1024;
const END_REQUEST_BODY_LEN = 8;
const YIELD_BYTES = 1024 * 1024;
// Only its appStatus is used: a body that fails after the head can only be cut off.
const INTERNAL_ERROR = 500;

/**
 * Writes a Response as CGI output: head (Status last), body in STDOUT records, empty STDOUT, END_REQUEST.
 * Returns undefined when everything was written synchronously (no body, or a body-less status).
 * Throws (or rejects) before the head is written when the response cannot be sent (invalid header,
 * locked or failing body): the caller then sends an error response instead. A body that fails after
 * the head went out ends the request with AppStatus.Error and rejects with a HandlerError.
 */
export function writeResponse(
  sink: ResponseSink,
  response: Response,
  isHead: boolean,
  appStatus: number,
): Promise<void> | undefined {
  if (LightResponse.isLight(response)) {
    const light = response.lightParts();
    if (light) {
      writeLight(sink, light, isHead, appStatus);
      return undefined;
    }
  }
  const status = response.status;
  const body = response.body;
  if (body !== null && (response.bodyUsed || body.locked)) {
    throw new HandlerError('The response body has already been read or is locked');
  }
  const hasLength = response.headers.has('content-length');
  // Validate the headers before touching the body, so a bad header still leaves room for a 500.
  const head = formatResponseHead(
    status,
    withoutHopByHop(response.headers),
    response.statusText || undefined,
  );
  const bodyless = status === 204 || status === 304 || status < 200;
  if (body === null || bodyless || (isHead && hasLength)) {
    if (body !== null) body.cancel().catch(ignore);
    const length = body === null && !bodyless && !hasLength ? 0 : undefined;
    writeComplete(sink, withLength(head, length), undefined, appStatus);
    return undefined;
  }
  const known = nativeBodySource(response);
  if (known !== undefined) {
    const length = typeof known === 'string' ? Buffer.byteLength(known) : known.length;
    writeComplete(
      sink,
      withLength(head, hasLength ? undefined : length),
      isHead ? undefined : known,
      appStatus,
    );
    return undefined;
  }
  return streamBody(sink, body, head, hasLength, appStatus, isHead);
}

/** A LightResponse straight from its (body, init): no Headers, no stream. */
function writeLight(sink: ResponseSink, light: LightParts, isHead: boolean, appStatus: number): void {
  const { status, headers, body } = light;
  const hasLength = Array.isArray(headers)
    ? headers.some(([name]) => name.toLowerCase() === 'content-length')
    : headers.has('content-length');
  const head = formatResponseHead(status, withoutHopByHop(headers), light.statusText || undefined);
  if (body === null) {
    const bodyless = status === 204 || status === 304 || status < 200;
    writeComplete(sink, withLength(head, bodyless || hasLength ? undefined : 0), undefined, appStatus);
    return;
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  writeComplete(sink, withLength(head, hasLength ? undefined : length), isHead ? undefined : body, appStatus);
}

/**
 * Head, body, empty STDOUT and END_REQUEST in one go. A small response is encoded straight into one
 * buffer (one STDOUT record, one allocation, one socket write); a larger one keeps its body as a view.
 */
function writeComplete(
  sink: ResponseSink,
  head: string,
  body: string | Uint8Array | undefined,
  appStatus: number,
): void {
  const id = sink.requestId;
  sink.started = true;
  const bodyLength =
    body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const content = head.length + bodyLength;
  if (content > SINGLE_BUFFER_LIMIT) {
    const parts = stdout(id, head);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (bytes && bytes.length > 0) parts.push(...encodeStreamRecords(RecordType.Stdout, id, bytes));
    parts.push(encodeStreamEnd(RecordType.Stdout, id));
    sink.finish(parts, appStatus);
    return;
  }
  const out = Buffer.allocUnsafe(FCGI_HEADER_LEN * 3 + content + END_REQUEST_BODY_LEN);
  writeHeader(out, 0, RecordType.Stdout, id, content);
  let offset = FCGI_HEADER_LEN + out.write(head, FCGI_HEADER_LEN, 'latin1');
  if (typeof body === 'string') offset += out.write(body, offset, 'utf8');
  else if (body !== undefined) {
    out.set(body, offset);
    offset += body.length;
  }
  writeHeader(out, offset, RecordType.Stdout, id, 0);
  offset += FCGI_HEADER_LEN;
  writeHeader(out, offset, RecordType.EndRequest, id, END_REQUEST_BODY_LEN);
  out.set(encodeEndRequestBody(appStatus, ProtocolStatus.RequestComplete), offset + FCGI_HEADER_LEN);
  sink.finishEncoded(out, appStatus);
}

// Framing is the web server's business: a Transfer-Encoding or Connection header from the app (Hono's
// stream helpers set both) makes Caddy de-chunk a body that is not chunked. Upgrade is out of scope.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding']);

/** The response headers minus hop-by-hop ones and any header the Connection header names. */
function withoutHopByHop(headers: Headers | Array<[string, string]>): HeadersLike | Array<[string, string]> {
  if (Array.isArray(headers)) {
    const connection = headers.find(([name]) => name.toLowerCase() === 'connection')?.[1];
    const drop = dropSet(connection ?? null);
    return headers.filter(([name]) => !drop.has(name.toLowerCase()));
  }
  // A Response-like object from elsewhere may bring a minimal headers object.
  const drop = dropSet(typeof headers.get === 'function' ? headers.get('connection') : null);
  const filtered: HeadersLike = {
    forEach(callback) {
      headers.forEach((value, name) => {
        if (!drop.has(name.toLowerCase())) callback(value, name);
      });
    },
  };
  if (typeof headers.getSetCookie === 'function') filtered.getSetCookie = () => headers.getSetCookie();
  return filtered;
}

function dropSet(connection: string | null): ReadonlySet<string> {
  if (!connection) return HOP_BY_HOP;
  const drop = new Set(HOP_BY_HOP);
  for (const token of connection.split(',')) drop.add(token.trim().toLowerCase());
  return drop;
}

function withLength(head: string, contentLength: number | undefined): string {
  return contentLength === undefined ? head : `Content-Length: ${contentLength}\r\n${head}`;
}

async function streamBody(
  sink: ResponseSink,
  body: ReadableStream<unknown>,
  head: string,
  hasLength: boolean,
  appStatus: number,
  headOnly = false,
): Promise<void> {
  const id = sink.requestId;
  let reader: ReadableStreamDefaultReader<unknown>;
  try {
    reader = body.getReader();
  } catch (cause) {
    throw new HandlerError('The response body is locked or already used', { cause });
  }
  let cancelled = false;
  sink.setCancel((reason) => {
    cancelled = true;
    reader.cancel(reason).catch(ignore);
  });
  const stopped = () => cancelled || sink.ended;

  const collected: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  let pending: Promise<ReadableStreamReadResult<unknown>> | undefined;
  try {
    // What the stream has at once is collected; a read that is not ready within SETTLE_TURNS starts
    // the response with what there is, the head alone if need be (an SSE stream whose first event
    // comes later: the web server and the client get the head now).
    let next = reader.read();
    for (;;) {
      const raced = await settledSoon(next);
      if (stopped()) return;
      if (raced === LATER || (size >= COLLECT_LIMIT && !raced.done)) {
        pending = next;
        break;
      }
      if (raced.done) {
        complete = true;
        break;
      }
      const bytes = toBytes(raced.value);
      collected.push(bytes);
      size += bytes.length;
      next = reader.read();
    }
  } catch (cause) {
    if (stopped()) return;
    reader.cancel(cause).catch(ignore);
    throw new HandlerError('The response body stream failed before the response started', { cause });
  }

  if (complete && !headOnly && size <= SINGLE_BUFFER_LIMIT) {
    // Exactly what the fast path writes for the same body: head and body in one STDOUT record (Apache's
    // mod_authnz_fcgi takes an Authorizer's body from the first record only).
    const body =
      collected.length === 1 ? collected[0] : size > 0 ? Buffer.concat(collected, size) : undefined;
    writeComplete(sink, withLength(head, hasLength ? undefined : size), body, appStatus);
    return;
  }
  sink.started = true;
  const parts = stdout(id, complete && !hasLength ? `Content-Length: ${size}\r\n${head}` : head);
  if (headOnly) {
    if (!complete) reader.cancel().catch(ignore);
    sink.setCancel(undefined);
    sink.finish([...parts, encodeStreamEnd(RecordType.Stdout, id)], appStatus);
    return;
  }
  for (const bytes of collected)
    if (bytes.length > 0) parts.push(...encodeStreamRecords(RecordType.Stdout, id, bytes));
  if (complete) {
    sink.finish([...parts, encodeStreamEnd(RecordType.Stdout, id)], appStatus);
    return;
  }

  try {
    if (!sink.write(parts)) await sink.drain();
    let sinceYield = 0;
    for (;;) {
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (stopped()) return;
      if (result.done) break;
      const bytes = toBytes(result.value);
      if (bytes.length === 0) continue;
      // Each chunk goes out as soon as it is produced (SSE); wait only when the socket is full.
      if (!sink.write(encodeStreamRecords(RecordType.Stdout, id, bytes))) {
        await sink.drain();
        sinceYield = 0;
      } else if ((sinceYield += bytes.length) >= YIELD_BYTES) {
        // A stream that produces synchronously into a fast socket would otherwise run in microtasks
        // only, starving I/O (an ABORT_REQUEST, other connections) until the kernel buffer fills.
        await new Promise((resolve) => setImmediate(resolve));
        sinceYield = 0;
      }
      if (stopped()) return;
    }
  } catch (cause) {
    if (stopped()) return;
    reader.cancel(cause).catch(ignore);
    endWithError(sink, INTERNAL_ERROR, AppStatus.Error);
    throw new HandlerError('The response body stream failed after the response started', { cause });
  }
  sink.setCancel(undefined);
  sink.finish([encodeStreamEnd(RecordType.Stdout, id)], appStatus);
}

function stdout(requestId: number, head: string): Uint8Array[] {
  return encodeStreamRecords(RecordType.Stdout, requestId, Buffer.from(head, 'latin1'));
}

/** The result of `promise` if it settles within SETTLE_TURNS turns of the event loop, else LATER. */
function settledSoon<T>(promise: Promise<T>): Promise<T | typeof LATER> {
  return new Promise((resolve, reject) => {
    let turns = 0;
    let timer = setImmediate(function turn() {
      if (++turns < SETTLE_TURNS) timer = setImmediate(turn);
      else resolve(LATER);
    });
    promise.then(
      (value) => {
        clearImmediate(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearImmediate(timer);
        reject(error);
      },
    );
  });
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`A response body chunk must be a Uint8Array, got ${typeof chunk}`);
}

function ignore(): void {}

/** A Response, or a Response from another realm or polyfill with the same shape. */
export function isResponse(value: unknown): value is Response {
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
