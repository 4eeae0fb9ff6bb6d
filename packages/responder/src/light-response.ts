// An opt-in Response for handlers that want the cheapest path: `import { Response } from
// '@fcgi/responder'`. It is `instanceof Response`, but for string and byte bodies it only stores
// (body, init); the responder writes it without ever building web streams or Headers. Anything else
// (a stream or Blob body, or reading .body / clone() / formData()) builds a real Response on first use.
// The global Response is replaced only through useLightResponseGlobally(), which the framework adapters
// call by default (see global-response.ts).

import { isHttpToken } from './http-token';
import { delegateToNative } from './prototype-delegation';

type LightBody = string | Uint8Array<ArrayBuffer> | null;

/** The global Response's body type, spelled so that declarations need no DOM lib (`BodyInit` is DOM's). */
type ResponseBody = ConstructorParameters<typeof Response>[0];

/** Set on a class standing in for the global Response: the runtime's own class it replaced. */
export const REPLACED_NATIVE = Symbol.for('@fcgi/responder.native-response');

/** The runtime's own Response, even when another copy of this module has already replaced the global. */
function runtimeResponse(): typeof Response {
  const current = globalThis.Response as typeof Response & { [REPLACED_NATIVE]?: typeof Response };
  return current[REPLACED_NATIVE] ?? current;
}

export const NativeResponse: typeof Response = runtimeResponse();
const isNativeInstance = (value: unknown): boolean =>
  Function.prototype[Symbol.hasInstance].call(NativeResponse, value);
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
  #used = false;

  /** Whether `value` is a LightResponse (`instanceof` also accepts every native Response). */
  static isLight(value: unknown): value is LightResponse {
    return typeof value === 'object' && value !== null && #used in value;
  }

  constructor(body?: ResponseBody, init: ResponseInit = {}) {
    const status = checkedInit(init);
    // A status left out reads as 200 through the getter: only a converted one needs a copy of init.
    this.init = init.status === undefined || status === init.status ? init : { ...init, status };
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
    return this.realResponse ? this.realResponse.bodyUsed : this.#used;
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
      if (this.#used) throw new TypeError('Body is unusable: the response body has already been read');
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
    if (this.realResponse || this.#used) return undefined;
    let headers: Headers | Array<[string, string]>;
    if (this.builtHeaders) headers = this.builtHeaders;
    else {
      const list = headerList(this.init.headers);
      if (!list) headers = this.headers;
      else {
        headers = list;
        if (typeof this.lightBody === 'string' && !list.some(([name]) => name === 'content-type')) {
          const at = list.findIndex(([name]) => name > 'content-type');
          list.splice(at === -1 ? list.length : at, 0, ['content-type', 'text/plain;charset=UTF-8']);
        }
      }
    }
    return { status: this.status, statusText: this.statusText, headers, body: this.lightBody };
  }

  private consume(): LightBody {
    if (this.#used) throw new TypeError('Body is unusable: the response body has already been read');
    this.#used = true;
    return this.lightBody;
  }
}

/**
 * Plain header init (record or pairs) as the list a Headers built from it would iterate: lower-case
 * names in order, a repeated name's values joined with ", " (each Set-Cookie kept as its own line), so
 * the head written is byte for byte the global Response's. Undefined for a Headers.
 */
function headerList(init: HeadersInit | undefined): Array<[string, string]> | undefined {
  if (init === undefined) return [];
  if (init instanceof Headers) return undefined;
  const pairs = Array.isArray(init) ? init : Object.entries(init as Record<string, string>);
  const list: Array<[string, string]> = [];
  let sorted = true;
  for (const [rawName, rawValue] of pairs) {
    const name = String(rawName).toLowerCase();
    const value = normalizeHeaderValue(String(rawValue));
    const previous = list.length > 0 ? list[list.length - 1]![0] : '';
    if (name < previous) sorted = false;
    if (name === previous && name !== 'set-cookie') {
      list[list.length - 1]![1] += `, ${value}`;
      continue;
    }
    list.push([name, value]);
  }
  return sorted ? list : merged(list);
}

/** The entries sorted by name (stable, so Set-Cookie lines keep their order), repeated names joined. */
function merged(list: Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const last = out[out.length - 1];
    if (last && last[0] === entry[0] && entry[0] !== 'set-cookie') last[1] += `, ${entry[1]}`;
    else out.push(entry);
  }
  return out;
}

// What the global Response accepts, checked the same way and with the same errors, so that switching
// to the light Response never lets through a status, reason or header the standard one would refuse.
// Header names are HTTP tokens; values lose leading and trailing whitespace and may hold any byte but
// NUL, CR and LF; a reason phrase is HTAB, SP, visible ASCII and obs-text only (no controls, no DEL).
const INVALID_VALUE = /[\0\r\n]|[^\0-\xFF]/;
const REASON_PHRASE = /^[\t\x20-\x7E\x80-\xFF]*$/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

function normalizeHeaderValue(value: string): string {
  return value.replace(EDGE_WHITESPACE, '');
}

/** Checks `init` as the Response constructor does; returns the status as WebIDL converts it. */
function checkedInit(init: ResponseInit): number {
  const status = init.status === undefined ? 200 : toUnsignedShort(init.status);
  if (status < 200 || status > 599) {
    throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
  }
  if (init.statusText !== undefined && !REASON_PHRASE.test(String(init.statusText))) {
    throw new TypeError('Invalid statusText');
  }
  const headers = init.headers;
  if (headers === undefined || headers instanceof Headers) return status;
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers as Record<string, string>);
  for (const pair of pairs) {
    if (pair.length !== 2)
      throw new TypeError('Headers constructor: expected name/value pair to be length 2.');
    const name = String(pair[0]);
    const value = normalizeHeaderValue(String(pair[1]));
    if (!isHttpToken(name)) throw new TypeError(`Headers.append: "${name}" is an invalid header name.`);
    if (INVALID_VALUE.test(value))
      throw new TypeError(`Headers.append: "${value}" is an invalid header value.`);
  }
  return status;
}

/** WebIDL's `unsigned short` conversion, as the Response constructor applies it to `status`. */
function toUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (!Number.isFinite(number)) return 0;
  return ((Math.trunc(number) % 65536) + 65536) % 65536;
}

function lightHeaders(init: HeadersInit | undefined, body: LightBody): Headers {
  const headers = new Headers(init);
  if (typeof body === 'string' && !headers.has('content-type'))
    headers.set('content-type', 'text/plain;charset=UTF-8');
  return headers;
}

/**
 * The class that stands in for the global Response (useLightResponseGlobally()). Like the opt-in import,
 * it keeps a byte body by reference where the standard copies it: copying a 1 MiB body costs more than
 * the rest of serving it (0.85 ms against 0.33 ms per request on Node 24, and twice the memory), and
 * `@hono/node-server`'s Response keeps bytes by reference too. Bytes must not change after the
 * response is created; documented with the adapters' option.
 */
export class GlobalLightResponse extends LightResponse {
  static readonly [REPLACED_NATIVE]: typeof Response = NativeResponse;
}

/**
 * `instanceof` for LightResponse and the class standing in for the global: every Response is an
 * instance, a light one (its prototype chain includes the native prototype) and a native one such as
 * what fetch() returns, so `instanceof Response` keeps passing for both. A subclass of either keeps the
 * ordinary check.
 */
function isResponse(this: unknown, value: unknown): boolean {
  if (this !== LightResponse && this !== GlobalLightResponse) {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
  return isNativeInstance(value);
}
Object.defineProperty(LightResponse, Symbol.hasInstance, { configurable: true, value: isResponse });

// The rest of Response.prototype (type, url, redirected, clone(), formData(), ...) is served by the real
// Response; called on a native Response (which passes `instanceof` too), they act on it directly.
delegateToNative(LightResponse, NativeResponse, new NativeResponse(null), (self: Response) =>
  LightResponse.isLight(self) ? self.toResponse() : self,
);
Object.setPrototypeOf(LightResponse, NativeResponse);
