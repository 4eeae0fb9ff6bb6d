import * as workerThreads from 'node:worker_threads';
import { delegateToNative } from './prototype-delegation';
import { concatChunks, RequestBody } from './request-body';
import {
  appendRequestHeaders,
  type Params,
  requestHeaders,
  requestMethod,
  requestUrl,
} from './request-mapping';

/** What a Request is made from: the request's params, its STDIN, and its abort signal. */
export interface RequestSource {
  readonly params: Params;
  /** null when the method carries no body (GET, HEAD) or the role has no STDIN. */
  readonly body: RequestBody | null;
  /** Read only when the handler asks for it: the AbortController behind it is created lazily. */
  readonly signal: AbortSignal;
}

const decoder = new TextDecoder();

// Where a native Request cannot be passed to structuredClone() (Node 22), neither can the lazy one;
// elsewhere both clone to an empty object, since neither has own enumerable properties.
const markUncloneable = nativeRequestIsUncloneable()
  ? (workerThreads as { markAsUncloneable?: (value: object) => void }).markAsUncloneable
  : undefined;

function nativeRequestIsUncloneable(): boolean {
  try {
    structuredClone(new Request('http://localhost/'));
    return false;
  } catch {
    return true;
  }
}

/**
 * A Request that holds only the params until the handler looks: URL, Headers and the body stream are
 * built on first access, and text()/json()/arrayBuffer()/bytes() gather the STDIN chunks with no stream
 * in between. It is `instanceof Request` (its prototype chain includes Request.prototype); anything it
 * does not implement itself (clone(), formData(), cache, mode, ...) and undici's internal slots are
 * served by a real Request built on first use, which then also owns the body.
 */
export class FcgiRequest {
  // Private class fields, so that structuredClone() and util.inspect() see what they see on a native
  // Request (no own properties), not the source.
  readonly #source: RequestSource;
  #cachedUrl: string | undefined;
  #cachedHeaders: Headers | undefined;
  #realRequest: Request | undefined;
  // The body was read from its chunks, with no stream: a real Request built later must read as used.
  #gathered = false;

  constructor(source: RequestSource) {
    this.#source = source;
    markUncloneable?.(this);
  }

  get method(): string {
    return requestMethod(this.#source.params);
  }

  get url(): string {
    this.#cachedUrl ??= requestUrl(this.#source.params);
    return this.#cachedUrl;
  }

  get headers(): Headers {
    this.#cachedHeaders ??= requestHeaders(this.#source.params);
    return this.#cachedHeaders;
  }

  get signal(): AbortSignal {
    return this.#source.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#realRequest) return this.#realRequest.body;
    return this.#source.body?.getStream() ?? null;
  }

  get bodyUsed(): boolean {
    if (this.#realRequest) return this.#gathered || this.#realRequest.bodyUsed;
    return this.#source.body?.disturbed ?? false;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#realRequest) return new Uint8Array(await this.#realRequest.arrayBuffer());
    return concatChunks(await this.#chunks());
  }

  async text(): Promise<string> {
    if (this.#realRequest) return this.#realRequest.text();
    return decodeText(await this.#chunks());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    const type = this.headers.get('content-type') ?? '';
    return new Blob([await this.bytes()], { type });
  }

  /** The real undici Request behind the rare paths; built once, and from then on it owns the body. */
  toRequest(): Request {
    if (!this.#realRequest) {
      const init = requestInit(this.method, this.headers, this.#source.body);
      this.#realRequest = new Request(this.url, { ...init, signal: this.signal });
      // Locked as a read would leave it, so that new Request(), clone() and fetch() refuse it.
      if (this.#gathered) this.#realRequest.body?.getReader();
    }
    return this.#realRequest;
  }

  #chunks(): Promise<Uint8Array[]> {
    const body = this.#source.body;
    if (!body) return Promise.resolve([]);
    if (body.disturbed || body.locked) {
      return Promise.reject(new TypeError('Body is unusable: the request body has already been read'));
    }
    this.#gathered = true;
    return body.chunksToEnd();
  }
}

// Everything else a Request has (the remaining accessors and methods, and on runtimes that keep a
// Request's internals in symbol-keyed slots, those slots) is served by the real Request.
delegateToNative(FcgiRequest, Request, new Request('http://localhost/'), (lazy: FcgiRequest) =>
  lazy.toRequest(),
);

/**
 * Whether this runtime treats a lazy Request as a Request of its own: `new Request(lazy)` (what
 * `fetch(lazy)`, `clone()` and every proxying middleware do) must copy its method, URL, headers and
 * body. Node 20 and 22 (undici's symbol-keyed slots, forwarded above) and Bun do; Node 24 and later
 * keep a Request's state in private class fields, which no other object can carry, so there the
 * handler gets a standard Request instead. Probed once, at start-up, with the public API only.
 */
function probeLazyRequests(): boolean {
  try {
    const body = new RequestBody({
      declaredLength: 5,
      maxBufferedBytes: 1024,
      onDrain: () => {},
      stallTimeout: 1000,
      onStall: () => {},
    });
    const lazy = new FcgiRequest({
      params: new Map([
        ['REQUEST_METHOD', 'POST'],
        ['REQUEST_URI', '/probe?q=1'],
        ['HTTP_HOST', 'probe.test'],
        ['HTTP_X_PROBE', 'yes'],
        ['CONTENT_LENGTH', '5'],
      ]),
      body,
      signal: new AbortController().signal,
    }) as unknown as Request;
    const copy = new Request(lazy);
    return (
      copy.method === 'POST' &&
      copy.url === 'http://probe.test/probe?q=1' &&
      copy.headers.get('x-probe') === 'yes' &&
      copy.body !== null
    );
  } catch {
    return false;
  }
}

let lazyAccepted: boolean = probeLazyRequests();

/** Which Request the handler gets on this runtime: the lazy one, or a standard one built up front. */
export function requestStrategy(): 'lazy' | 'standard' {
  return lazyAccepted ? 'lazy' : 'standard';
}

/** @internal For tests: serve standard Requests even where the lazy one is accepted. */
export function forceStandardRequests(standard: boolean): void {
  lazyAccepted = !standard && probeLazyRequests();
}

/** The one place a Request is built from FastCGI input. */
export function createRequest(source: RequestSource): Request {
  if (lazyAccepted) return new FcgiRequest(source) as unknown as Request;
  return standardRequest(source);
}

/**
 * A Request built with the public constructor: what the runtime's own fetch and Request accept. Its
 * `signal` is the request's own abort signal, created only when something reads it: handing one to
 * the constructor costs an AbortController per request (and undici's weak follow machinery) whether
 * or not the handler ever looks, ~8 µs of a 30 µs GET on Node 24. The one difference this makes: a
 * Request copied from it with `new Request(request)` or `fetch(request)` does not follow the abort
 * (`clone()` does); pass `{ signal: request.signal }` along to have it follow.
 */
class StandardRequest extends Request {
  readonly #source: RequestSource;
  readonly #url: string;
  #readBesideStream = false;

  constructor(url: string, init: RequestInit | undefined, source: RequestSource) {
    super(url, init);
    this.#source = source;
    this.#url = url;
  }

  override get signal(): AbortSignal {
    return this.#source.signal;
  }

  // requestUrl() returns the URL as the WHATWG parser serializes it, which is what the inherited getter
  // would rebuild from the parsed URL on every read.
  override get url(): string {
    return this.#url;
  }

  override get bodyUsed(): boolean {
    return this.#readBesideStream || super.bodyUsed;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const chunks = this.#chunksBesideStream();
    return chunks ? concatChunks(await chunks).buffer : super.arrayBuffer();
  }

  override async text(): Promise<string> {
    const chunks = this.#chunksBesideStream();
    return chunks ? decodeText(await chunks) : super.text();
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /**
   * An untouched body's STDIN chunks, gathered beside its stream rather than through it (a 64 KiB body
   * costs a quarter less), after locking that stream as reading it would: from then on the Request is
   * used for `bodyUsed`, `new Request()`, `clone()` and `fetch()` exactly as after a standard read.
   * Undefined when the body is absent or already touched: the inherited method then reads or rejects.
   */
  #chunksBesideStream(): Promise<Uint8Array[]> | undefined {
    const source = this.#source.body;
    const stream = super.body;
    if (!source || !stream || source.disturbed || stream.locked || super.bodyUsed) return undefined;
    if (stream !== source.getStream()) return undefined;
    stream.getReader();
    this.#readBesideStream = true;
    return source.chunksBesideStream();
  }
}

/** UTF-8 text of the chunks; one chunk (the common case for small bodies) is decoded in place. */
function decodeText(chunks: Uint8Array[]): string {
  return decoder.decode(chunks.length === 1 ? chunks[0] : concatChunks(chunks));
}

function standardRequest(source: RequestSource): Request {
  const method = requestMethod(source.params);
  const url = requestUrl(source.params);
  if (method === 'GET' && !source.body) {
    // For a string URL an init of just { method: 'GET', headers } yields the same Request as none at
    // all with those headers appended afterwards through the same checks; skipping the RequestInit
    // conversion and the Headers the constructor would copy saves ~0.9 µs of a 16 µs GET on Node 24.
    const request = new StandardRequest(url, undefined, source);
    appendRequestHeaders(request.headers, source.params);
    return request;
  }
  return new StandardRequest(url, requestInit(method, requestHeaders(source.params), source.body), source);
}

/** A RequestInit whose body, if any, is the STDIN stream: half duplex, as undici requires of a stream. */
function requestInit(
  method: string,
  headers: Headers,
  body: RequestBody | null,
): RequestInit & { duplex?: 'half' } {
  return body ? { method, headers, body: body.getStream(), duplex: 'half' } : { method, headers };
}
