// Byte <-> string conversions shared by the params codec and the response head, with web APIs only.

// String.fromCharCode.apply takes its arguments on the stack; chunks keep long strings safe.
const APPLY_CHUNK = 8192;
// Below this size, scanning for ASCII and using fromCharCode beats a TextDecoder call.
const SHORT_UTF8 = 256;

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Byte-for-byte decode: every byte becomes the code unit of the same value. Never throws. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= APPLY_CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let text = '';
  for (let at = start; at < end; at += APPLY_CHUNK) {
    const stop = Math.min(at + APPLY_CHUNK, end);
    text += String.fromCharCode.apply(null, bytes.subarray(at, stop) as unknown as number[]);
  }
  return text;
}

/** UTF-8 decode that turns invalid sequences into U+FFFD instead of throwing. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_UTF8) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
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
