import { FcgiClientError } from './errors';

/** Where the STDIN stream of a request comes from. */
export type RequestBody =
  | { readonly kind: 'none' }
  /** In memory already: sent as views of these bytes, and replayable on a retry. */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** Read chunk by chunk as the socket accepts it; not replayable once reading started. */
  | {
      readonly kind: 'stream';
      readonly stream: ReadableStream<Uint8Array>;
      /** From a Content-Length header: the stream must deliver exactly this many bytes. */
      readonly declaredLength: number | undefined;
    };

export type FetchInit = RequestInit & { params?: Record<string, string> };

export interface PreparedRequest {
  readonly request: Request;
  readonly url: URL;
  readonly body: RequestBody;
  /** CONTENT_LENGTH to send, or undefined when the length is not known before streaming. */
  readonly contentLength: number | undefined;
}

/** Relative URLs ('/hello') are resolved against this base, as the contract says. */
const RELATIVE_URL_BASE = 'http://localhost';

function isStreamLike(body: unknown): boolean {
  return (
    body instanceof ReadableStream ||
    (typeof body === 'object' && body !== null && Symbol.asyncIterator in body)
  );
}

function toBytes(body: ArrayBuffer | ArrayBufferView): Uint8Array {
  return body instanceof Uint8Array
    ? body
    : ArrayBuffer.isView(body)
      ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      : new Uint8Array(body);
}

function declaredLength(request: Request): number | undefined {
  const header = request.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/**
 * Builds the Request fetch() would, and decides how its body is sent. An ArrayBuffer or typed array body
 * is used as is (zero copy: do not modify it until the response arrives); strings, Blobs, FormData and
 * URLSearchParams are serialised once by the Request (which also sets their Content-Type) so their
 * length is known; streams are streamed with CONTENT_LENGTH only when a Content-Length header says so.
 */
export async function prepareRequest(
  input: Request | string | URL,
  init?: FetchInit,
): Promise<PreparedRequest> {
  const target = typeof input === 'string' ? new URL(input, RELATIVE_URL_BASE) : input;
  const { params: _params, ...requestInit } = init ?? {};
  const rawBody = requestInit.body;

  if (rawBody instanceof ArrayBuffer || ArrayBuffer.isView(rawBody)) {
    const request = new Request(target, { ...requestInit, body: null });
    if (request.method === 'GET' || request.method === 'HEAD') {
      throw new TypeError(`A ${request.method} request cannot have a body`);
    }
    const bytes = toBytes(rawBody);
    return {
      request,
      url: new URL(request.url),
      body: { kind: 'bytes', bytes },
      contentLength: bytes.byteLength,
    };
  }

  const streamInit = requestInit as RequestInit & { duplex?: 'half' };
  if (isStreamLike(rawBody) && streamInit.duplex === undefined) {
    // Node requires it for a streamed body; half duplex is all FastCGI does anyway.
    streamInit.duplex = 'half';
  }
  if (input instanceof Request && input.bodyUsed) {
    throw new TypeError('The Request body has already been read; pass a fresh Request or a body in init');
  }
  const request = input instanceof Request && init === undefined ? input : new Request(target, requestInit);
  const url = new URL(request.url);
  const noBodyLength = request.method === 'GET' || request.method === 'HEAD' ? undefined : 0;
  if (request.body === null) return { request, url, body: { kind: 'none' }, contentLength: noBodyLength };

  if (rawBody !== undefined && rawBody !== null && !isStreamLike(rawBody)) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return { request, url, body: { kind: 'bytes', bytes }, contentLength: bytes.byteLength };
  }
  const length = declaredLength(request);
  return {
    request,
    url,
    body: { kind: 'stream', stream: request.body, declaredLength: length },
    contentLength: length,
  };
}

/**
 * Reads a body stream of unknown length into memory, up to `limit` bytes, so that CONTENT_LENGTH can
 * be sent (php-fpm reads no body without it). Past the limit: REQUEST_BODY_TOO_LARGE.
 */
export async function bufferBody(prepared: PreparedRequest, limit: number): Promise<PreparedRequest> {
  if (prepared.body.kind !== 'stream' || prepared.body.declaredLength !== undefined) return prepared;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = prepared.body.stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new FcgiClientError(
        'REQUEST_BODY_TOO_LARGE',
        `The request body is larger than bufferRequestBody (${limit} bytes) and has no Content-Length`,
      );
    }
    chunks.push(value);
  }
  const bytes = chunks.length === 1 ? chunks[0]! : new Uint8Array(total);
  if (chunks.length !== 1) {
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  return { ...prepared, body: { kind: 'bytes', bytes }, contentLength: total };
}
