import { FCGI_HEADER_LEN, FCGI_NULL_REQUEST_ID, KEEP_CONN, RecordType } from './constants';
import { ProtocolError } from './errors';
import { encodeParams, type PairsInput } from './params';
import { encodeRecord, writeHeader } from './record';

// BEGIN_REQUEST, END_REQUEST and UNKNOWN_TYPE bodies are all 8 bytes (§5.1, §5.5, §4.2).
const BODY_LEN = 8;

/** The body of BEGIN_REQUEST. */
export interface BeginRequestBody {
  role: number;
  flags: number;
  keepConn: boolean;
}

/** The body of END_REQUEST. */
export interface EndRequestBody {
  appStatus: number;
  protocolStatus: number;
}

function requireBody(content: Uint8Array, what: string): void {
  if (content.length < BODY_LEN) {
    throw new ProtocolError(
      'MALFORMED_RECORD',
      `${what} body is ${content.length} bytes; it must be ${BODY_LEN}`,
    );
  }
}

function writeBeginRequestBody(target: Uint8Array, offset: number, role: number, flags: number): void {
  target[offset] = (role >>> 8) & 0xff;
  target[offset + 1] = role & 0xff;
  target[offset + 2] = flags & 0xff;
}

function writeEndRequestBody(
  target: Uint8Array,
  offset: number,
  appStatus: number,
  protocolStatus: number,
): void {
  // appStatus is a u32 on the wire: a negative exit code such as -1 wraps to 0xFFFFFFFF.
  const status = appStatus >>> 0;
  target[offset] = status >>> 24;
  target[offset + 1] = (status >>> 16) & 0xff;
  target[offset + 2] = (status >>> 8) & 0xff;
  target[offset + 3] = status & 0xff;
  target[offset + 4] = protocolStatus & 0xff;
}

export function encodeBeginRequestBody(role: number, flags: number): Uint8Array {
  const body = new Uint8Array(BODY_LEN);
  writeBeginRequestBody(body, 0, role, flags);
  return body;
}

/** MALFORMED_RECORD when shorter than 8 bytes. */
export function decodeBeginRequestBody(content: Uint8Array): BeginRequestBody {
  requireBody(content, 'BEGIN_REQUEST');
  const flags = content[2]!;
  return { role: (content[0]! << 8) | content[1]!, flags, keepConn: (flags & KEEP_CONN) !== 0 };
}

/** The whole 16-byte BEGIN_REQUEST record. */
export function encodeBeginRequest(requestId: number, role: number, flags: number): Uint8Array {
  const record = new Uint8Array(FCGI_HEADER_LEN + BODY_LEN);
  writeHeader(record, 0, RecordType.BeginRequest, requestId, BODY_LEN, 0);
  writeBeginRequestBody(record, FCGI_HEADER_LEN, role, flags);
  return record;
}

export function encodeEndRequestBody(appStatus: number, protocolStatus: number): Uint8Array {
  const body = new Uint8Array(BODY_LEN);
  writeEndRequestBody(body, 0, appStatus, protocolStatus);
  return body;
}

/** MALFORMED_RECORD when shorter than 8 bytes; appStatus is read unsigned. */
export function decodeEndRequestBody(content: Uint8Array): EndRequestBody {
  requireBody(content, 'END_REQUEST');
  const appStatus = ((content[0]! << 24) | (content[1]! << 16) | (content[2]! << 8) | content[3]!) >>> 0;
  return { appStatus, protocolStatus: content[4]! };
}

/** The whole 16-byte END_REQUEST record, freshly allocated so no written record is ever reused. */
export function encodeEndRequest(requestId: number, appStatus: number, protocolStatus: number): Uint8Array {
  const record = new Uint8Array(FCGI_HEADER_LEN + BODY_LEN);
  writeHeader(record, 0, RecordType.EndRequest, requestId, BODY_LEN, 0);
  writeEndRequestBody(record, FCGI_HEADER_LEN, appStatus, protocolStatus);
  return record;
}

export function encodeUnknownTypeBody(type: number): Uint8Array {
  const body = new Uint8Array(BODY_LEN);
  body[0] = type & 0xff;
  return body;
}

/** MALFORMED_RECORD when shorter than 8 bytes. */
export function decodeUnknownTypeBody(content: Uint8Array): { type: number } {
  requireBody(content, 'UNKNOWN_TYPE');
  return { type: content[0]! };
}

/** A whole GET_VALUES record asking for `names` (each sent with an empty value, §4.1). */
export function encodeGetValues(names: Iterable<string>): Uint8Array {
  const pairs: Array<[string, string]> = [];
  for (const name of names) pairs.push([name, '']);
  return encodeRecord(RecordType.GetValues, FCGI_NULL_REQUEST_ID, encodeParams(pairs));
}

/** A whole GET_VALUES_RESULT record. */
export function encodeGetValuesResult(values: PairsInput): Uint8Array {
  return encodeRecord(RecordType.GetValuesResult, FCGI_NULL_REQUEST_ID, encodeParams(values));
}
