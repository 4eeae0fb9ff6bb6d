import { concatChunks, type RequestBody } from './request-body';
import { type Params, requestHeaders, requestMethod, requestUrl } from './request-mapping';

/** What a Request is made from: the request's params, its STDIN, and its abort signal. */
export interface RequestSource {
  readonly params: Params;
  /** null when the method carries no body (GET, HEAD) or the role has no STDIN. */
  readonly body: RequestBody | null;
  /** Read only when the handler asks for it: the AbortController behind it is created lazily. */
  readonly signal: AbortSignal;
}

const decoder = new TextDecoder();

/**
 * A Request that holds only the params until the handler looks: URL, Headers and the body stream are
 * built on first access, and text()/json()/arrayBuffer()/bytes() gather the STDIN chunks with no stream
 * in between. It is `instanceof Request` (its prototype chain includes Request.prototype); anything it
 * does not implement itself (clone(), formData(), cache, mode, ...) and undici's internal slots are
 * served by a real Request built on first use, which then also owns the body.
 */
export class FcgiRequest {
  private readonly source: RequestSource;
  private cachedUrl: string | undefined;
  private cachedHeaders: Headers | undefined;
  private realRequest: Request | undefined;

  constructor(source: RequestSource) {
    this.source = source;
  }

  get method(): string {
    return requestMethod(this.source.params);
  }

  get url(): string {
    this.cachedUrl ??= requestUrl(this.source.params);
    return this.cachedUrl;
  }

  get headers(): Headers {
    this.cachedHeaders ??= requestHeaders(this.source.params);
    return this.cachedHeaders;
  }

  get signal(): AbortSignal {
    return this.source.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.realRequest) return this.realRequest.body;
    return this.source.body?.getStream() ?? null;
  }

  get bodyUsed(): boolean {
    if (this.realRequest) return this.realRequest.bodyUsed;
    return this.source.body?.disturbed ?? false;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.realRequest) return new Uint8Array(await this.realRequest.arrayBuffer());
    return concatChunks(await this.chunks());
  }

  async text(): Promise<string> {
    if (this.realRequest) return this.realRequest.text();
    const chunks = await this.chunks();
    // One chunk (the common case for small bodies) is decoded in place, without a copy.
    return decoder.decode(chunks.length === 1 ? chunks[0] : concatChunks(chunks));
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
    if (!this.realRequest) {
      const body = this.source.body;
      const init: RequestInit & { duplex?: 'half' } = {
        method: this.method,
        headers: this.headers,
        signal: this.signal,
      };
      if (body) {
        init.body = body.getStream();
        init.duplex = 'half';
      }
      this.realRequest = new Request(this.url, init);
    }
    return this.realRequest;
  }

  private chunks(): Promise<Uint8Array[]> {
    const body = this.source.body;
    if (!body) return Promise.resolve([]);
    if (body.disturbed || body.locked) {
      return Promise.reject(new TypeError('Body is unusable: the request body has already been read'));
    }
    return body.chunksToEnd();
  }
}

// Everything else a Request has, delegated to the real one: the remaining accessors and methods of
// Request.prototype, and undici's symbol-keyed internal slots (so `new Request(lazy)` and `fetch(lazy)`
// work too).
const own = new Set(Object.getOwnPropertyNames(FcgiRequest.prototype));
for (const name of Object.getOwnPropertyNames(Request.prototype)) {
  if (own.has(name)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name);
  if (!descriptor) continue;
  if (typeof descriptor.value === 'function') {
    Object.defineProperty(FcgiRequest.prototype, name, {
      configurable: true,
      writable: true,
      value(this: FcgiRequest, ...args: unknown[]) {
        const real = this.toRequest() as unknown as Record<string, (...a: unknown[]) => unknown>;
        return real[name]?.(...args);
      },
    });
  } else if (descriptor.get) {
    Object.defineProperty(FcgiRequest.prototype, name, {
      configurable: true,
      get(this: FcgiRequest) {
        return (this.toRequest() as unknown as Record<string, unknown>)[name];
      },
    });
  }
}
for (const slot of Object.getOwnPropertySymbols(new Request('http://localhost/'))) {
  Object.defineProperty(FcgiRequest.prototype, slot, {
    configurable: true,
    get(this: FcgiRequest) {
      return (this.toRequest() as unknown as Record<symbol, unknown>)[slot];
    },
  });
}
Object.setPrototypeOf(FcgiRequest.prototype, Request.prototype);

/** The one place a Request is built from FastCGI input. */
export function createRequest(source: RequestSource): Request {
  return new FcgiRequest(source) as unknown as Request;
}
