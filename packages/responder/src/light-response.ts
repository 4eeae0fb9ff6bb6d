// An opt-in Response for handlers that want the cheapest path: `import { Response } from
// '@fcgi/responder'`. It is `instanceof Response`, but for string and byte bodies it only stores
// (body, init); the responder writes it without ever building web streams or Headers. Anything else
// (a stream or Blob body, or reading .body / clone() / formData()) builds a real Response on first use.
// The global Response is never replaced.

type LightBody = string | Uint8Array<ArrayBuffer> | null;

const NativeResponse = globalThis.Response;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface LightParts {
  status: number;
  statusText: string;
  headers: Headers | Array<[string, string]>;
  body: string | Uint8Array | null;
}

// The members served by the real Response (clone, formData, type, url, ...) are part of its type.
export interface LightResponse extends Response {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the prototype loop below implements the merged members
export class LightResponse {
  private readonly lightBody: LightBody;
  private readonly init: ResponseInit;
  private realResponse: Response | undefined;
  private builtHeaders: Headers | undefined;
  private used = false;

  constructor(body?: BodyInit | null, init: ResponseInit = {}) {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response status must be an integer in 200..599, got ${status}`);
    }
    this.init = init;
    if (body === undefined || body === null) this.lightBody = null;
    else if (typeof body === 'string') this.lightBody = body;
    // Bytes are kept by reference, not copied as the Fetch standard would (a 1 MiB body would cost a
    // 1 MiB copy): the caller must not change them after creating the response. Documented.
    else if (body instanceof ArrayBuffer) this.lightBody = new Uint8Array(body);
    else if (ArrayBuffer.isView(body)) {
      this.lightBody = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
    } else {
      this.lightBody = null;
      this.realResponse = new NativeResponse(body, init);
      return;
    }
    if (this.lightBody !== null && NULL_BODY_STATUS.has(status)) {
      throw new TypeError(`Response with status ${status} cannot have a body`);
    }
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new LightResponse(JSON.stringify(data), { ...init, headers }) as unknown as Response;
  }

  static redirect(url: string | URL, status?: number): Response {
    return NativeResponse.redirect(url, status);
  }

  static error(): Response {
    return NativeResponse.error();
  }

  get status(): number {
    return this.realResponse ? this.realResponse.status : (this.init.status ?? 200);
  }

  get statusText(): string {
    return this.realResponse ? this.realResponse.statusText : (this.init.statusText ?? '');
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get headers(): Headers {
    if (this.realResponse) return this.realResponse.headers;
    this.builtHeaders ??= lightHeaders(this.init.headers, this.lightBody);
    return this.builtHeaders;
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.toResponse().body;
  }

  get bodyUsed(): boolean {
    return this.realResponse ? this.realResponse.bodyUsed : this.used;
  }

  async text(): Promise<string> {
    if (this.realResponse) return this.realResponse.text();
    const body = this.consume();
    return typeof body === 'string' ? body : body ? decoder.decode(body) : '';
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.realResponse) return new Uint8Array(await this.realResponse.arrayBuffer());
    const body = this.consume();
    if (typeof body === 'string') return encoder.encode(body);
    return body ? new Uint8Array(body) : new Uint8Array(0);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }

  async blob(): Promise<Blob> {
    if (this.realResponse) return this.realResponse.blob();
    const type = this.headers.get('content-type') ?? '';
    return new Blob([await this.bytes()], { type });
  }

  /** The real undici Response, built once; from then on it owns the body. */
  toResponse(): Response {
    if (!this.realResponse) {
      if (this.used) throw new TypeError('Body is unusable: the response body has already been read');
      const init: ResponseInit = {
        status: this.init.status,
        statusText: this.init.statusText,
        headers: this.headers,
      };
      this.realResponse = new NativeResponse(this.lightBody, init);
    }
    return this.realResponse;
  }

  /** What the responder writes, when no real Response was needed; undefined otherwise. */
  lightParts(): LightParts | undefined {
    if (this.realResponse || this.used) return undefined;
    let headers: Headers | Array<[string, string]>;
    if (this.builtHeaders) headers = this.builtHeaders;
    else {
      const list = headerList(this.init.headers);
      if (!list) headers = this.headers;
      else {
        headers = list;
        if (
          typeof this.lightBody === 'string' &&
          !list.some(([name]) => name.toLowerCase() === 'content-type')
        ) {
          list.push(['content-type', 'text/plain;charset=UTF-8']);
        }
      }
    }
    return { status: this.status, statusText: this.statusText, headers, body: this.lightBody };
  }

  private consume(): LightBody {
    if (this.used) throw new TypeError('Body is unusable: the response body has already been read');
    this.used = true;
    return this.lightBody;
  }
}

/** Plain header init (record or pairs) as a list, without building a Headers; undefined for a Headers. */
function headerList(init: HeadersInit | undefined): Array<[string, string]> | undefined {
  if (init === undefined) return [];
  if (init instanceof Headers) return undefined;
  if (Array.isArray(init))
    return init.map(([name, value]) => [String(name), String(value)] as [string, string]);
  return Object.entries(init as Record<string, string>).map(([name, value]) => [name, String(value)]);
}

function lightHeaders(init: HeadersInit | undefined, body: LightBody): Headers {
  const headers = new Headers(init);
  if (typeof body === 'string' && !headers.has('content-type'))
    headers.set('content-type', 'text/plain;charset=UTF-8');
  return headers;
}

// The rest of Response.prototype (type, url, redirected, clone(), formData(), ...) and undici's internal
// slots are served by the real Response.
const own = new Set(Object.getOwnPropertyNames(LightResponse.prototype));
for (const name of Object.getOwnPropertyNames(NativeResponse.prototype)) {
  if (own.has(name)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(NativeResponse.prototype, name);
  if (!descriptor) continue;
  if (typeof descriptor.value === 'function') {
    Object.defineProperty(LightResponse.prototype, name, {
      configurable: true,
      writable: true,
      value(this: LightResponse, ...args: unknown[]) {
        const real = this.toResponse() as unknown as Record<string, (...a: unknown[]) => unknown>;
        return real[name]?.(...args);
      },
    });
  } else if (descriptor.get) {
    Object.defineProperty(LightResponse.prototype, name, {
      configurable: true,
      get(this: LightResponse) {
        return (this.toResponse() as unknown as Record<string, unknown>)[name];
      },
    });
  }
}
for (const slot of Object.getOwnPropertySymbols(new NativeResponse(null))) {
  Object.defineProperty(LightResponse.prototype, slot, {
    configurable: true,
    get(this: LightResponse) {
      return (this.toResponse() as unknown as Record<symbol, unknown>)[slot];
    },
  });
}
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
Object.setPrototypeOf(LightResponse, NativeResponse);
