// Byte <-> string conversions shared by the params codec and the response head, with web APIs only.

// String.fromCharCode.apply takes its arguments on the stack; chunks keep long strings safe.
const APPLY_CHUNK = 8192;
// Below this size an ASCII scan plus fromCharCode beats a TextDecoder call.
const SHORT_TEXT = 256;
// Param names and many values ("POST", "HTTP/1.1", "on") repeat on every request: short strings are
// looked up in a small direct-mapped cache, so a repeat costs a hash and a compare, no allocation.
const CACHE_SLOTS = 1024;
const CACHE_MAX_LENGTH = 48;
const cache: string[] = new Array<string>(CACHE_SLOTS).fill('');

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** fromCharCode over a plain array: V8 spreads an array into arguments far faster than a typed array. */
function fromCodes(bytes: Uint8Array, start: number, end: number): string {
  const codes = new Array<number>(end - start);
  for (let i = start; i < end; i++) codes[i - start] = bytes[i]!;
  return String.fromCharCode.apply(null, codes);
}

/** Byte-for-byte text of at most CACHE_MAX_LENGTH bytes, through the cache. */
function cachedText(bytes: Uint8Array, start: number, end: number, hash: number): string {
  const slot = hash & (CACHE_SLOTS - 1);
  const cached = cache[slot]!;
  const length = end - start;
  if (cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return cached;
  }
  const text = fromCodes(bytes, start, end);
  cache[slot] = text;
  return text;
}

function hashByte(hash: number, byte: number): number {
  // FNV-1a step.
  return Math.imul(hash ^ byte, 0x01000193);
}

const FNV_OFFSET = 0x811c9dc5 | 0;

/** Byte-for-byte decode: every byte becomes the code unit of the same value. Never throws. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length <= CACHE_MAX_LENGTH) {
    let hash = FNV_OFFSET;
    for (let i = start; i < end; i++) hash = hashByte(hash, bytes[i]!);
    return cachedText(bytes, start, end, hash);
  }
  if (length <= APPLY_CHUNK) return fromCodes(bytes, start, end);
  let text = '';
  for (let at = start; at < end; at += APPLY_CHUNK)
    text += fromCodes(bytes, at, Math.min(at + APPLY_CHUNK, end));
  return text;
}

/** UTF-8 decode that turns invalid sequences into U+FFFD instead of throwing. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length <= CACHE_MAX_LENGTH) {
    let hash = FNV_OFFSET;
    let high = 0;
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      high |= byte;
      hash = hashByte(hash, byte);
    }
    // ASCII text reads the same in UTF-8 and latin1.
    if (high < 0x80) return cachedText(bytes, start, end, hash);
  } else if (length <= SHORT_TEXT) {
    let high = 0;
    for (let i = start; i < end; i++) high |= bytes[i]!;
    if (high < 0x80) return fromCodes(bytes, start, end);
  }
  return utf8Decoder.decode(bytes.subarray(start, end));
}

/** Bytes `text` takes in UTF-8; lone surrogates count as U+FFFD (3 bytes), as TextEncoder writes them. */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      length += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: 2 code units, 4 bytes.
        length += 2;
        i++;
      } else {
        length += 2;
      }
    } else {
      length += 2;
    }
  }
  return length;
}

/** Writes `text` as UTF-8 at `offset`; the caller sized `target` with {@link utf8Length}. */
export function writeUtf8(target: Uint8Array, offset: number, text: string, byteLength: number): void {
  if (byteLength === text.length) {
    // ASCII only: one byte per code unit.
    for (let i = 0; i < byteLength; i++) target[offset + i] = text.charCodeAt(i);
    return;
  }
  utf8Encoder.encodeInto(text, target.subarray(offset, offset + byteLength));
}

/** Latin-1 encode of a string the caller has checked holds only code units <= 0xFF. */
export function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
