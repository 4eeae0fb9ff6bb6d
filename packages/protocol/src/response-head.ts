import { ProtocolError } from './errors';
import { statusText as defaultStatusText } from './status-text';
import { decodeLatin1, encodeLatin1 } from './text';

/** What a Fetch `Headers` offers; `getSetCookie` keeps each Set-Cookie separate. */
export interface HeadersLike {
  forEach(cb: (value: string, name: string) => void): void;
  getSetCookie?(): string[];
}
export type HeaderList = Iterable<readonly [string, string]>;

/** A parsed CGI response head: the Status line is folded into `status` and removed from `headers`. */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
}

const DEFAULT_MAX_HEAD_BYTES = 65536;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LATIN1_MAX = 0xff;

// RFC 9110 §5.6.2 tchar.
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN[c.charCodeAt(0)] = 1;
}

function isToken(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

// ---------------------------------------------------------------------------------------------------
// Writing

function invalidHeader(message: string): ProtocolError {
  return new ProtocolError('INVALID_HEADER', message);
}

function checkName(name: string): void {
  if (name.length === 0) throw invalidHeader('a header name is empty');
  for (let i = 0; i < name.length; i++) {
    if (!isToken(name.charCodeAt(i))) {
      throw invalidHeader(`header name ${JSON.stringify(name)} is not an HTTP token (character ${i})`);
    }
  }
}

function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === CR || code === LF || code === NUL) {
      throw invalidHeader(
        `the value of header ${JSON.stringify(name)} contains CR, LF or NUL (character ${i})`,
      );
    }
    if (code > LATIN1_MAX) {
      throw invalidHeader(
        `the value of header ${JSON.stringify(name)} has a character above U+00FF (character ${i}); encode it first`,
      );
    }
  }
}

function forEachHeader(
  headers: HeadersLike | HeaderList,
  visit: (name: string, value: string) => void,
): void {
  const like = headers as HeadersLike;
  if (typeof like.getSetCookie === 'function') {
    // A Fetch Headers folds Set-Cookie into one comma-joined value in forEach; getSetCookie() has each.
    let cookiesDone = false;
    like.forEach((value, name) => {
      if (name.toLowerCase() !== 'set-cookie') {
        visit(name, value);
      } else if (!cookiesDone) {
        cookiesDone = true;
        for (const cookie of like.getSetCookie!()) visit(name, cookie);
      }
    });
    return;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as HeaderList) visit(name, value);
    return;
  }
  like.forEach((value, name) => {
    visit(name, value);
  });
}

/**
 * The CGI response head as a latin1-safe string: each header on its own line in order (a `Status`
 * entry among the headers is dropped: `status` wins), then `Status:` last, because HAProxy turns a
 * 301 into a 302 when Location follows Status, then the blank line.
 */
export function formatResponseHead(
  status: number,
  headers: HeadersLike | HeaderList,
  statusText?: string,
): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`status must be an integer in 100..999, got ${status}`);
  }
  let head = '';
  forEachHeader(headers, (name, value) => {
    checkName(name);
    checkValue(name, value);
    if (name.length === 6 && name.toLowerCase() === 'status') return;
    head += `${name}: ${value}\r\n`;
  });
  const reason = statusText ?? defaultStatusText(status);
  checkValue('Status', reason);
  head += reason.length > 0 ? `Status: ${status} ${reason}\r\n\r\n` : `Status: ${status}\r\n\r\n`;
  return head;
}

/** {@link formatResponseHead} as bytes, one byte per character. */
export function encodeResponseHead(
  status: number,
  headers: HeadersLike | HeaderList,
  statusText?: string,
): Uint8Array {
  return encodeLatin1(formatResponseHead(status, headers, statusText));
}

// ---------------------------------------------------------------------------------------------------
// Parsing

function malformed(message: string): ProtocolError {
  return new ProtocolError('MALFORMED_RESPONSE_HEAD', message);
}

function tooLarge(maxHeadBytes: number): ProtocolError {
  return new ProtocolError(
    'RESPONSE_HEAD_TOO_LARGE',
    `no blank line ends the response head within ${maxHeadBytes} bytes`,
  );
}

const STATUS_LINE = /^(\d{3})(?:[ \t]+(.*))?$/s;

/** Collects header lines and folds them into a {@link ResponseHead}. */
class HeadBuilder {
  readonly #headers: Array<[string, string]> = [];
  #status: number | undefined;
  #statusText = '';
  #hasLocation = false;

  /** Adds the line `bytes[start, end)` (LF excluded); returns true when it is the blank line. */
  addLine(bytes: Uint8Array, start: number, end: number): boolean {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end === start) return true;
    let colon = start;
    while (colon < end && bytes[colon] !== COLON) {
      if (!isToken(bytes[colon]!)) {
        throw malformed(
          `response head line ${JSON.stringify(decodeLatin1(bytes, start, end))} is not "Name: value"`,
        );
      }
      colon++;
    }
    if (colon === end || colon === start) {
      throw malformed(
        `response head line ${JSON.stringify(decodeLatin1(bytes, start, end))} is not "Name: value"`,
      );
    }
    let valueStart = colon + 1;
    let valueEnd = end;
    while (valueStart < valueEnd && (bytes[valueStart] === SPACE || bytes[valueStart] === TAB)) valueStart++;
    while (valueEnd > valueStart && (bytes[valueEnd - 1] === SPACE || bytes[valueEnd - 1] === TAB))
      valueEnd--;
    for (let i = valueStart; i < valueEnd; i++) {
      if (bytes[i] === CR || bytes[i] === NUL) throw malformed('a response header value contains CR or NUL');
    }
    const name = decodeLatin1(bytes, start, colon);
    const value = decodeLatin1(bytes, valueStart, valueEnd);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const match = STATUS_LINE.exec(value);
      const code = match ? Number(match[1]) : 0;
      if (!match || code < 100)
        throw malformed(`Status ${JSON.stringify(value)} is not "<3-digit code> <reason>"`);
      this.#status = code;
      this.#statusText = match[2] ?? defaultStatusText(code);
      return false;
    }
    if (lower === 'location') this.#hasLocation = true;
    this.#headers.push([name, value]);
    return false;
  }

  finish(): ResponseHead {
    // RFC 3875 §6.2.3: a Location without a Status is a redirect.
    const status = this.#status ?? (this.#hasLocation ? 302 : 200);
    const statusText = this.#status === undefined ? defaultStatusText(status) : this.#statusText;
    return { status, statusText, headers: this.#headers };
  }
}

/**
 * Parses the CGI response head at the start of `bytes`; `bodyOffset` is where the body begins. Null
 * while the blank line has not arrived. Accepts "\n" as well as "\r\n" line ends.
 */
export function parseResponseHead(
  bytes: Uint8Array,
  options?: { maxHeadBytes?: number },
): { head: ResponseHead; bodyOffset: number } | null {
  const maxHeadBytes = options?.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  const limit = Math.min(bytes.length, maxHeadBytes);
  const builder = new HeadBuilder();
  let lineStart = 0;
  for (;;) {
    const lf = bytes.indexOf(LF, lineStart);
    if (lf < 0 || lf >= limit) {
      if (bytes.length > maxHeadBytes) throw tooLarge(maxHeadBytes);
      return null;
    }
    if (builder.addLine(bytes, lineStart, lf)) return { head: builder.finish(), bodyOffset: lf + 1 };
    lineStart = lf + 1;
  }
}

/**
 * Parses a response head that arrives in chunks. Complete lines are parsed as they arrive; only the
 * unfinished line is kept, and never more than `maxHeadBytes` in all. Once the head is complete,
 * `body` is the rest of that chunk (a view), and later pushes return the same head with the chunk as body.
 */
export class ResponseHeadParser {
  readonly #maxHeadBytes: number;
  readonly #builder = new HeadBuilder();
  #head: ResponseHead | undefined;
  #failure: ProtocolError | undefined;
  // Bytes of complete lines already parsed, and the unfinished line carried between chunks (in a
  // buffer that doubles as needed, so a line trickling in byte by byte is copied linearly).
  #consumed = 0;
  #partial: Uint8Array = new Uint8Array(0);
  #partialLength = 0;

  constructor(options?: { maxHeadBytes?: number }) {
    this.#maxHeadBytes = options?.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  }

  push(chunk: Uint8Array): { head: ResponseHead; body: Uint8Array } | null {
    if (this.#head) return { head: this.#head, body: chunk };
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
  }

  #push(chunk: Uint8Array): { head: ResponseHead; body: Uint8Array } | null {
    const max = this.#maxHeadBytes;
    let lineStart = 0;
    if (this.#partialLength > 0) {
      // The chunk index up to which a LF still ends the head within the limit.
      const limit = Math.min(chunk.length, max - this.#consumed - this.#partialLength);
      const lf = chunk.indexOf(LF);
      if (lf < 0 || lf >= limit) return this.#keep(chunk, 0, limit);
      this.#append(chunk, 0, lf);
      const length = this.#partialLength;
      this.#partialLength = 0;
      this.#consumed += length + 1;
      if (this.#builder.addLine(this.#partial, 0, length)) return this.#done(chunk, lf + 1);
      lineStart = lf + 1;
    }
    const limit = Math.min(chunk.length, lineStart + max - this.#consumed);
    for (;;) {
      const lf = chunk.indexOf(LF, lineStart);
      if (lf < 0 || lf >= limit) return this.#keep(chunk, lineStart, limit);
      this.#consumed += lf + 1 - lineStart;
      if (this.#builder.addLine(chunk, lineStart, lf)) return this.#done(chunk, lf + 1);
      lineStart = lf + 1;
    }
  }

  /** Carries `chunk[start..]` as the unfinished line, unless it crosses the limit at `limit`. */
  #keep(chunk: Uint8Array, start: number, limit: number): null {
    if (chunk.length > limit) throw tooLarge(this.#maxHeadBytes);
    this.#append(chunk, start, chunk.length);
    return null;
  }

  #append(chunk: Uint8Array, start: number, end: number): void {
    const needed = this.#partialLength + end - start;
    if (needed > this.#partial.length) {
      const grown = new Uint8Array(Math.max(needed, this.#partial.length * 2, 64));
      grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    this.#partial.set(chunk.subarray(start, end), this.#partialLength);
    this.#partialLength = needed;
  }

  #done(chunk: Uint8Array, bodyOffset: number): { head: ResponseHead; body: Uint8Array } {
    this.#head = this.#builder.finish();
    return { head: this.#head, body: chunk.subarray(bodyOffset) };
  }
}
