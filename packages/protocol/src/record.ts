import { FCGI_HEADER_LEN, FCGI_MAX_CONTENT_LEN, FCGI_MAX_PADDING_LEN, FCGI_VERSION_1 } from './constants';

/** One decoded record: content without padding. */
export interface FcgiRecord {
  type: number;
  requestId: number;
  content: Uint8Array;
}

const MAX_REQUEST_ID = 0xffff;
const MAX_TYPE = 0xff;

function checkHeaderFields(type: number, requestId: number, contentLength: number, paddingLength: number) {
  if (!Number.isInteger(type) || type < 0 || type > MAX_TYPE) {
    throw new RangeError(`record type must be an integer in 0..${MAX_TYPE}, got ${type}`);
  }
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REQUEST_ID) {
    throw new RangeError(`requestId must be an integer in 0..${MAX_REQUEST_ID}, got ${requestId}`);
  }
  if (!Number.isInteger(contentLength) || contentLength < 0 || contentLength > FCGI_MAX_CONTENT_LEN) {
    throw new RangeError(
      `contentLength must be an integer in 0..${FCGI_MAX_CONTENT_LEN}, got ${contentLength}`,
    );
  }
  if (!Number.isInteger(paddingLength) || paddingLength < 0 || paddingLength > FCGI_MAX_PADDING_LEN) {
    throw new RangeError(
      `paddingLength must be an integer in 0..${FCGI_MAX_PADDING_LEN}, got ${paddingLength}`,
    );
  }
}

/** Writes an 8-byte record header into `target` at `offset`. */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  type: number,
  requestId: number,
  contentLength: number,
  paddingLength = 0,
): void {
  checkHeaderFields(type, requestId, contentLength, paddingLength);
  if (offset < 0 || offset + FCGI_HEADER_LEN > target.length) {
    throw new RangeError(`no room for a record header at offset ${offset} of a ${target.length}-byte array`);
  }
  target[offset] = FCGI_VERSION_1;
  target[offset + 1] = type;
  target[offset + 2] = requestId >>> 8;
  target[offset + 3] = requestId & 0xff;
  target[offset + 4] = contentLength >>> 8;
  target[offset + 5] = contentLength & 0xff;
  target[offset + 6] = paddingLength;
  target[offset + 7] = 0;
}

/** A fresh 8-byte record header. */
export function encodeHeader(
  type: number,
  requestId: number,
  contentLength: number,
  paddingLength = 0,
): Uint8Array {
  const header = new Uint8Array(FCGI_HEADER_LEN);
  writeHeader(header, 0, type, requestId, contentLength, paddingLength);
  return header;
}

/** Padding that brings `contentLength` up to a multiple of 8, as §3.3 recommends. */
export function paddingFor(contentLength: number): number {
  return -contentLength & 7;
}

/** One complete record, content copied in and padded to a multiple of 8 bytes. */
export function encodeRecord(
  type: number,
  requestId: number,
  content: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (content.length > FCGI_MAX_CONTENT_LEN) {
    throw new RangeError(
      `record content is ${content.length} bytes; a record holds at most ${FCGI_MAX_CONTENT_LEN} (use encodeStreamRecords)`,
    );
  }
  const padding = paddingFor(content.length);
  const record = new Uint8Array(FCGI_HEADER_LEN + content.length + padding);
  writeHeader(record, 0, type, requestId, content.length, padding);
  record.set(content, FCGI_HEADER_LEN);
  return record;
}

/** The empty record that ends a stream (PARAMS, STDIN, STDOUT, STDERR, DATA). */
export function encodeStreamEnd(type: number, requestId: number): Uint8Array {
  return encodeHeader(type, requestId, 0, 0);
}

/**
 * Splits `data` into stream records without copying it: the result alternates fresh headers with
 * views of `data`, unpadded (padding is optional for senders), so callers can hand it to writev.
 * `end: true` appends the empty end-of-stream record.
 */
export function encodeStreamRecords(
  type: number,
  requestId: number,
  data: Uint8Array,
  options?: { end?: boolean },
): Uint8Array[] {
  const end = options?.end === true;
  const count = Math.ceil(data.length / FCGI_MAX_CONTENT_LEN);
  checkHeaderFields(type, requestId, 0, 0);
  // All headers of one call share a single allocation; each call gets its own, so a caller may
  // hand the result to a socket without it ever being rewritten.
  const headers = new Uint8Array(FCGI_HEADER_LEN * (count + (end ? 1 : 0)));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const start = i * FCGI_MAX_CONTENT_LEN;
    const chunk = data.subarray(start, Math.min(start + FCGI_MAX_CONTENT_LEN, data.length));
    const at = i * FCGI_HEADER_LEN;
    writeHeader(headers, at, type, requestId, chunk.length, 0);
    parts.push(headers.subarray(at, at + FCGI_HEADER_LEN), chunk);
  }
  if (end) {
    const at = count * FCGI_HEADER_LEN;
    writeHeader(headers, at, type, requestId, 0, 0);
    parts.push(headers.subarray(at, at + FCGI_HEADER_LEN));
  }
  return parts;
}
