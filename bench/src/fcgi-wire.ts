/**
 * The few FastCGI wire details the bench needs without any library: the no-API floor backend and the
 * raw load client are written against these so they measure the bytes, not an abstraction.
 */
export const HEADER_LEN = 8;
export const MAX_CONTENT = 65535;
export const RecordType = { BeginRequest: 1, EndRequest: 3, Params: 4, Stdin: 5, Stdout: 6 } as const;
export const ROLE_RESPONDER = 1;
export const FLAG_KEEP_CONN = 1;

export function header(type: number, requestId: number, contentLength: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_LEN);
  h[0] = 1;
  h[1] = type;
  h.writeUInt16BE(requestId, 2);
  h.writeUInt16BE(contentLength, 4);
  h[6] = 0;
  h[7] = 0;
  return h;
}

/** Whole stream records (no padding) for `data`, followed by the stream's empty record. */
export function streamRecords(type: number, requestId: number, data: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += MAX_CONTENT) {
    const chunk = data.subarray(offset, Math.min(offset + MAX_CONTENT, data.length));
    out.push(
      header(type, requestId, chunk.length),
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
  }
  out.push(header(type, requestId, 0));
  return out;
}

export function endRequest(requestId: number): Buffer {
  const body = Buffer.alloc(8); // appStatus 0, FCGI_REQUEST_COMPLETE
  return Buffer.concat([header(RecordType.EndRequest, requestId, 8), body]);
}

/**
 * A complete response as parts: the CGI head in its own STDOUT record, the body as views into `body`
 * (never copied), the empty STDOUT record and END_REQUEST.
 */
export function responseParts(requestId: number, head: string, body: Uint8Array): Buffer[] {
  const headBytes = Buffer.from(head, 'latin1');
  return [
    header(RecordType.Stdout, requestId, headBytes.length),
    headBytes,
    ...streamRecords(RecordType.Stdout, requestId, body),
    endRequest(requestId),
  ];
}

/** The same response in one buffer, for small pre-built answers. */
export function responseRecords(requestId: number, head: string, body: Uint8Array): Buffer {
  return Buffer.concat(responseParts(requestId, head, body));
}

function pairLength(length: number): Buffer {
  if (length < 128) return Buffer.from([length]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((length | 0x80000000) >>> 0);
  return b;
}

export function encodePairs(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(params)) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(pairLength(n.length), pairLength(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/** Decodes name/value pairs byte-for-byte (latin1), as a responder should for header params. */
export function decodePairs(bytes: Buffer, into: Map<string, string>): void {
  let i = 0;
  const readLength = (): number => {
    const first = bytes[i]!;
    if (first < 128) {
      i += 1;
      return first;
    }
    const length = bytes.readUInt32BE(i) & 0x7fffffff;
    i += 4;
    return length;
  };
  while (i < bytes.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    const name = bytes.toString('latin1', i, i + nameLength);
    i += nameLength;
    into.set(name, bytes.toString('latin1', i, i + valueLength));
    i += valueLength;
  }
}

/** BEGIN_REQUEST + PARAMS + empty PARAMS + STDIN (+ empty STDIN), ready to write as one buffer. */
export function requestRecords(
  requestId: number,
  params: Record<string, string>,
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  const begin = Buffer.concat([
    header(RecordType.BeginRequest, requestId, 8),
    Buffer.from([0, ROLE_RESPONDER, FLAG_KEEP_CONN, 0, 0, 0, 0, 0]),
  ]);
  return Buffer.concat([
    begin,
    ...streamRecords(RecordType.Params, requestId, encodePairs(params)),
    ...streamRecords(RecordType.Stdin, requestId, body),
  ]);
}

/**
 * Walks the records in a growing buffer and calls `onRecord` for each complete one; returns the bytes
 * left over (a partial record) for the next read.
 */
export function forEachRecord(
  buffer: Buffer,
  onRecord: (type: number, requestId: number, content: Buffer) => void,
): Buffer {
  let offset = 0;
  while (buffer.length - offset >= HEADER_LEN) {
    const contentLength = buffer.readUInt16BE(offset + 4);
    const total = HEADER_LEN + contentLength + buffer[offset + 6]!;
    if (buffer.length - offset < total) break;
    onRecord(
      buffer[offset + 1]!,
      buffer.readUInt16BE(offset + 2),
      buffer.subarray(offset + HEADER_LEN, offset + HEADER_LEN + contentLength),
    );
    offset += total;
  }
  return offset === buffer.length ? EMPTY : buffer.subarray(offset);
}

const EMPTY = Buffer.alloc(0);
