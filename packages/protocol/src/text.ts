// Byte <-> string conversions shared by the params codec and the response head, with web APIs only.

// String.fromCharCode.apply takes its arguments on the stack; chunks keep long strings safe.
const APPLY_CHUNK = 8192;
// Up to about this many bytes fromCharCode beats a TextDecoder call (measured on Node 20); above it,
// TextDecoder's ASCII fast path wins by far.
const SHORT_TEXT = 24;
// Param names and many values ("POST", "HTTP/1.1", "on") repeat on every request: short strings are
// looked up in a small direct-mapped cache keyed by their bytes, so a repeat costs one compare pass
// and no allocation.
const CACHE_SLOTS = 1024;
const CACHE_MAX_LENGTH = 48;
// Slots [0, CACHE_SLOTS) hold ASCII text for UTF-8 decoding; [CACHE_SLOTS, 2 * CACHE_SLOTS) hold
// latin1 text, which may have bytes above 0x7F that UTF-8 would read differently.
const LATIN1_SLOTS = CACHE_SLOTS;
const cacheStrings: string[] = new Array<string>(2 * CACHE_SLOTS).fill('');
const cacheLengths = new Uint8Array(2 * CACHE_SLOTS);
const cacheBytes = new Uint8Array(2 * CACHE_SLOTS * CACHE_MAX_LENGTH);

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** fromCharCode over a plain array: V8 spreads an array into arguments far faster than a typed array. */
function fromCodes(bytes: Uint8Array, start: number, end: number): string {
  const codes = new Array<number>(end - start);
  for (let i = start; i < end; i++) codes[i - start] = bytes[i]!;
  return String.fromCharCode.apply(null, codes);
}

/**
 * The cache slot for `bytes[start, end)` (1..CACHE_MAX_LENGTH bytes): a hash of the length and a few
 * sampled bytes at both ends and the middle, cheap enough that a hit costs little more than the compare.
 */
function cacheSlot(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  let hash = Math.imul(length ^ 0x9e3779b9, 0x01000193);
  hash = Math.imul(hash ^ bytes[start]!, 0x01000193);
  hash = Math.imul(hash ^ bytes[start + (length >>> 1)]!, 0x01000193);
  hash = Math.imul(hash ^ bytes[end - 1]!, 0x01000193);
  if (length > 3) {
    hash = Math.imul(hash ^ bytes[start + 1]!, 0x01000193);
    hash = Math.imul(hash ^ bytes[end - 2]!, 0x01000193);
    hash = Math.imul(hash ^ bytes[end - 3]!, 0x01000193);
    hash = Math.imul(hash ^ bytes[start + (length >>> 2)]!, 0x01000193);
  }
  return (hash ^ (hash >>> 15)) & (CACHE_SLOTS - 1);
}

/** The cached string for exactly these bytes, or undefined. */
function cacheLookup(bytes: Uint8Array, start: number, end: number, slot: number): string | undefined {
  const length = end - start;
  if (cacheLengths[slot] !== length) return undefined;
  const base = slot * CACHE_MAX_LENGTH - start;
  for (let i = start; i < end; i++) {
    if (cacheBytes[base + i] !== bytes[i]) return undefined;
  }
  return cacheStrings[slot];
}

function cacheStore(bytes: Uint8Array, start: number, end: number, slot: number, text: string): string {
  cacheLengths[slot] = end - start;
  cacheBytes.set(bytes.subarray(start, end), slot * CACHE_MAX_LENGTH);
  cacheStrings[slot] = text;
  return text;
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  let high = 0;
  for (let i = start; i < end; i++) high |= bytes[i]!;
  return high < 0x80;
}

/** Byte-for-byte text without the cache. */
function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_TEXT) return fromCodes(bytes, start, end);
  // ASCII reads the same in UTF-8, and TextDecoder is fast at it. (TextDecoder's 'latin1' is really
  // windows-1252, which remaps 0x80-0x9F, so it cannot be used for the general case.)
  if (isAscii(bytes, start, end)) return utf8Decoder.decode(bytes.subarray(start, end));
  let text = '';
  for (let at = start; at < end; at += APPLY_CHUNK)
    text += fromCodes(bytes, at, Math.min(at + APPLY_CHUNK, end));
  return text;
}

/** Byte-for-byte decode: every byte becomes the code unit of the same value. Never throws. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length > CACHE_MAX_LENGTH) return latin1Text(bytes, start, end);
  const slot = LATIN1_SLOTS + cacheSlot(bytes, start, end);
  return (
    cacheLookup(bytes, start, end, slot) ?? cacheStore(bytes, start, end, slot, latin1Text(bytes, start, end))
  );
}

/** UTF-8 decode that turns invalid sequences into U+FFFD instead of throwing. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length <= CACHE_MAX_LENGTH) {
    // Only ASCII text is cached, where UTF-8 and latin1 read the same, so a hit needs no scan.
    const slot = cacheSlot(bytes, start, end);
    const cached = cacheLookup(bytes, start, end, slot);
    if (cached !== undefined) return cached;
    if (isAscii(bytes, start, end)) return cacheStore(bytes, start, end, slot, latin1Text(bytes, start, end));
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
