import { FCGI_NULL_REQUEST_ID, RecordType } from './constants';
import { ProtocolError } from './errors';
import { encodeStreamRecords } from './record';
import { decodeLatin1, decodeUtf8, utf8Length, writeUtf8 } from './text';

/** One decoded name/value pair. */
export type ParamPair = [name: string, value: string];
/** How names and values are turned into strings: `latin1` is byte-for-byte and never throws. */
export type ParamsEncoding = 'utf-8' | 'latin1';
export interface ParamsDecodeOptions {
  /** Most pairs accepted (default: unlimited). */
  maxPairs?: number;
  /** Most encoded bytes accepted, length prefixes included (default: unlimited). */
  maxBytes?: number;
  /** Default 'utf-8', with invalid sequences decoded as U+FFFD. */
  encoding?: ParamsEncoding;
}
export type PairsInput = Iterable<readonly [string, string]> | Record<string, string>;

// A length below 128 takes one byte; longer ones take four with the top bit set (§3.4).
const SHORT_LENGTH_MAX = 0x7f;
const LONG_LENGTH_FLAG = 0x80;
const LONG_LENGTH_MAX = 0x7fffffff;

function pairsOf(pairs: PairsInput): Iterable<readonly [string, string]> {
  return Symbol.iterator in pairs
    ? (pairs as Iterable<readonly [string, string]>)
    : Object.entries(pairs as Record<string, string>);
}

function lengthSize(length: number): number {
  return length > SHORT_LENGTH_MAX ? 4 : 1;
}

function writeLength(target: Uint8Array, offset: number, length: number): number {
  if (length <= SHORT_LENGTH_MAX) {
    target[offset] = length;
    return offset + 1;
  }
  if (length > LONG_LENGTH_MAX) throw new RangeError(`a name or value of ${length} bytes exceeds 2^31-1`);
  target[offset] = (length >>> 24) | LONG_LENGTH_FLAG;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
  return offset + 4;
}

/** A name or value for {@link encodeRawParams}: text (written as UTF-8) or bytes written as they are. */
export type ParamBytes = string | Uint8Array;

function byteLengthOf(part: ParamBytes): number {
  return typeof part === 'string' ? utf8Length(part) : part.length;
}

function writePart(target: Uint8Array, offset: number, part: ParamBytes, length: number): void {
  if (typeof part === 'string') writeUtf8(target, offset, part, length);
  else target.set(part, offset);
}

function encodePairs(pairs: Iterable<readonly [ParamBytes, ParamBytes]>): Uint8Array {
  // Measure first so the output is allocated once and strings are written straight into it.
  const parts: ParamBytes[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (const [name, value] of pairs) {
    const nameLength = byteLengthOf(name);
    const valueLength = byteLengthOf(value);
    parts.push(name, value);
    lengths.push(nameLength, valueLength);
    total += lengthSize(nameLength) + lengthSize(valueLength) + nameLength + valueLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const nameLength = lengths[i]!;
    const valueLength = lengths[i + 1]!;
    offset = writeLength(out, offset, nameLength);
    offset = writeLength(out, offset, valueLength);
    writePart(out, offset, parts[i]!, nameLength);
    offset += nameLength;
    writePart(out, offset, parts[i + 1]!, valueLength);
    offset += valueLength;
  }
  return out;
}

/** Encodes name/value pairs (UTF-8) into one contiguous params byte stream. */
export function encodeParams(pairs: PairsInput): Uint8Array {
  return encodePairs(pairsOf(pairs));
}

/**
 * Like {@link encodeParams}, but a name or value may be a `Uint8Array` written byte for byte: for a
 * client forwarding request header bytes that are not UTF-8 text.
 */
export function encodeRawParams(pairs: Iterable<readonly [ParamBytes, ParamBytes]>): Uint8Array {
  return encodePairs(pairs);
}

/** The PARAMS stream for one request: records of at most 65535 bytes, then the empty terminator. */
export function encodeParamsRecords(requestId: number, pairs: PairsInput): Uint8Array[] {
  if (requestId === FCGI_NULL_REQUEST_ID) {
    throw new RangeError('PARAMS belong to a request; requestId 0 is reserved for management records');
  }
  return encodeStreamRecords(RecordType.Params, requestId, encodeParams(pairs), { end: true });
}

/**
 * Size of the pair header (both length prefixes) starting at `offset`, or -1 when fewer bytes than
 * that are available in `bytes[offset, end)`.
 */
function pairHeaderSize(bytes: Uint8Array, offset: number, end: number): number {
  if (offset >= end) return -1;
  const nameSize = nameLengthSize(bytes, offset);
  if (offset + nameSize >= end) return -1;
  const size = nameSize + (bytes[offset + nameSize]! & LONG_LENGTH_FLAG ? 4 : 1);
  return offset + size <= end ? size : -1;
}

function nameLengthSize(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! & LONG_LENGTH_FLAG ? 4 : 1;
}

function readLength(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset]!;
  if (!(first & LONG_LENGTH_FLAG)) return first;
  return (
    (first & SHORT_LENGTH_MAX) * 0x1000000 +
    (bytes[offset + 1]! << 16) +
    (bytes[offset + 2]! << 8) +
    bytes[offset + 3]!
  );
}

/** The shared core of {@link decodeParams} and {@link ParamsDecoder}: decoded pairs and the limits. */
class PairReader {
  readonly pairs: ParamPair[] = [];
  readonly maxPairs: number;
  readonly maxBytes: number;
  readonly latin1: boolean;

  constructor(options: ParamsDecodeOptions | undefined) {
    this.maxPairs = options?.maxPairs ?? Number.POSITIVE_INFINITY;
    this.maxBytes = options?.maxBytes ?? Number.POSITIVE_INFINITY;
    this.latin1 = options?.encoding === 'latin1';
    if (options?.encoding !== undefined && options.encoding !== 'utf-8' && options.encoding !== 'latin1') {
      throw new RangeError(`unknown params encoding ${JSON.stringify(options.encoding)}`);
    }
  }

  /** Throws when one more pair would cross maxPairs, before any of its bytes are kept. */
  checkPairStart(): void {
    if (this.pairs.length >= this.maxPairs) {
      throw new ProtocolError('TOO_MANY_PARAMS', `more than ${this.maxPairs} params`);
    }
  }

  /** Throws when a pair declared to end at stream position `pairEnd` crosses maxBytes. */
  checkPairEnd(pairEnd: number): void {
    if (pairEnd > this.maxBytes) {
      throw new ProtocolError('PARAMS_TOO_LARGE', `params exceed ${this.maxBytes} bytes`);
    }
  }

  /** Decodes one pair whose header is complete at `offset`; the caller checked all its bytes are there. */
  decodePair(bytes: Uint8Array, offset: number, headerSize: number, nameLength: number, valueLength: number) {
    const nameStart = offset + headerSize;
    const valueStart = nameStart + nameLength;
    const valueEnd = valueStart + valueLength;
    const decode = this.latin1 ? decodeLatin1 : decodeUtf8;
    this.pairs.push([decode(bytes, nameStart, valueStart), decode(bytes, valueStart, valueEnd)]);
  }

  /**
   * Decodes every complete pair of `bytes[offset, end)`, enforcing limits against the bytes' position
   * in the whole stream (`streamBase` is the stream position of `bytes[0]`), and returns the offset of
   * the first incomplete pair (`end` when none is left).
   */
  read(bytes: Uint8Array, offset: number, end: number, streamBase: number): number {
    while (offset < end) {
      this.checkPairStart();
      const headerSize = pairHeaderSize(bytes, offset, end);
      if (headerSize < 0) return offset;
      const nameLength = readLength(bytes, offset);
      const valueLength = readLength(bytes, offset + nameLengthSize(bytes, offset));
      const pairEnd = offset + headerSize + nameLength + valueLength;
      this.checkPairEnd(streamBase + pairEnd);
      if (pairEnd > end) return offset;
      this.decodePair(bytes, offset, headerSize, nameLength, valueLength);
      offset = pairEnd;
    }
    return offset;
  }
}

/** Decodes a complete params byte stream. MALFORMED_PARAMS when it ends inside a pair. */
export function decodeParams(bytes: Uint8Array, options?: ParamsDecodeOptions): ParamPair[] {
  const reader = new PairReader(options);
  if (bytes.length > reader.maxBytes) {
    throw new ProtocolError(
      'PARAMS_TOO_LARGE',
      `params are ${bytes.length} bytes; the limit is ${reader.maxBytes}`,
    );
  }
  const stop = reader.read(bytes, 0, bytes.length, 0);
  if (stop !== bytes.length) {
    throw new ProtocolError(
      'MALFORMED_PARAMS',
      `params end inside a name/value pair (${bytes.length - stop} trailing bytes at offset ${stop})`,
    );
  }
  return reader.pairs;
}

// The longest pair header: two 4-byte lengths.
const MAX_PAIR_HEADER = 8;
// First buffer for a pair spanning chunks; enough for most params without regrowing.
const INITIAL_PAIR_CAPACITY = 4096;

/**
 * Decodes a params stream that arrives in pieces (one PARAMS record at a time). Complete pairs are
 * decoded straight from each chunk; only a pair that spans chunks is copied, once, into a buffer of
 * exactly its size. Limits fail as soon as they are crossed, before the offending bytes are kept.
 */
export class ParamsDecoder {
  readonly #reader: PairReader;
  #byteLength = 0;
  #failure: ProtocolError | undefined;
  // Bytes of a pair whose header is not complete yet (at most 7); allocated on first need, since
  // most params streams arrive in one record.
  #head: Uint8Array | undefined;
  #headLength = 0;
  // A pair whose header is known but whose name/value bytes are still arriving: its declared size, and
  // a buffer that grows with the bytes actually received, so a declared length alone allocates nothing.
  #pair: Uint8Array | undefined;
  #pairSize = 0;
  #pairFilled = 0;
  #pairHeaderSize = 0;

  constructor(options?: ParamsDecodeOptions) {
    this.#reader = new PairReader(options);
  }

  /** Encoded bytes received so far. */
  get byteLength(): number {
    return this.#byteLength;
  }

  /** Complete pairs decoded so far. */
  get pairCount(): number {
    return this.#reader.pairs.length;
  }

  push(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#push(chunk);
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
  }

  /** All pairs in order. MALFORMED_PARAMS when the stream stopped inside a pair. */
  end(): ParamPair[] {
    if (this.#failure) throw this.#failure;
    if (this.#headLength > 0 || this.#pair !== undefined) {
      this.#failure = new ProtocolError('MALFORMED_PARAMS', 'params stream ended inside a name/value pair');
      throw this.#failure;
    }
    return this.#reader.pairs;
  }

  #push(chunk: Uint8Array): void {
    const reader = this.#reader;
    const base = this.#byteLength;
    if (base + chunk.length > reader.maxBytes) {
      throw new ProtocolError('PARAMS_TOO_LARGE', `params exceed ${reader.maxBytes} bytes`);
    }
    this.#byteLength = base + chunk.length;
    let offset = 0;
    if (this.#headLength > 0) {
      offset = this.#completeHead(chunk, base);
      if (offset < 0) return;
    }
    if (this.#pair !== undefined) {
      offset = this.#fillPair(chunk, offset);
      if (this.#pair !== undefined) return;
    }
    const stop = reader.read(chunk, offset, chunk.length, base);
    if (stop < chunk.length) this.#keepPartial(chunk, stop, base);
  }

  /** Moves header bytes from `chunk` into the pending head; returns the offset after them, or -1. */
  #completeHead(chunk: Uint8Array, base: number): number {
    // Only called while #headLength > 0, so the head exists.
    const head = this.#head!;
    let offset = 0;
    let headerSize = pairHeaderSize(head, 0, this.#headLength);
    while (headerSize < 0) {
      if (offset >= chunk.length) return -1;
      head[this.#headLength++] = chunk[offset++]!;
      headerSize = pairHeaderSize(head, 0, this.#headLength);
    }
    // The head now holds exactly the header; the pair started where the head's first byte did.
    this.#startPair(head, 0, headerSize, base + offset - headerSize);
    this.#headLength = 0;
    return offset;
  }

  /** Starts buffering a pair whose header is `bytes[offset, offset + headerSize)`. */
  #startPair(bytes: Uint8Array, offset: number, headerSize: number, streamStart: number): void {
    const nameLength = readLength(bytes, offset);
    const valueLength = readLength(bytes, offset + nameLengthSize(bytes, offset));
    const size = headerSize + nameLength + valueLength;
    this.#reader.checkPairEnd(streamStart + size);
    this.#pair = new Uint8Array(Math.min(size, INITIAL_PAIR_CAPACITY));
    this.#pair.set(bytes.subarray(offset, offset + headerSize));
    this.#pairSize = size;
    this.#pairFilled = headerSize;
    this.#pairHeaderSize = headerSize;
  }

  #fillPair(chunk: Uint8Array, offset: number): number {
    const take = Math.min(this.#pairSize - this.#pairFilled, chunk.length - offset);
    let pair = this.#pair!;
    const needed = this.#pairFilled + take;
    if (needed > pair.length) {
      // Doubling keeps the copying linear in the pair's size.
      const grown = new Uint8Array(Math.min(this.#pairSize, Math.max(needed, pair.length * 2)));
      grown.set(pair.subarray(0, this.#pairFilled));
      this.#pair = pair = grown;
    }
    pair.set(chunk.subarray(offset, offset + take), this.#pairFilled);
    this.#pairFilled = needed;
    if (needed === this.#pairSize) {
      const headerSize = this.#pairHeaderSize;
      const nameLength = readLength(pair, 0);
      this.#reader.decodePair(pair, 0, headerSize, nameLength, needed - headerSize - nameLength);
      this.#pair = undefined;
    }
    return offset + take;
  }

  /** Keeps the incomplete pair at `chunk[offset..]`: the reader already checked its limits. */
  #keepPartial(chunk: Uint8Array, offset: number, base: number): void {
    const headerSize = pairHeaderSize(chunk, offset, chunk.length);
    if (headerSize < 0) {
      this.#head ??= new Uint8Array(MAX_PAIR_HEADER);
      this.#head.set(chunk.subarray(offset));
      this.#headLength = chunk.length - offset;
      return;
    }
    this.#startPair(chunk, offset, headerSize, base + offset);
    this.#fillPair(chunk, offset + headerSize);
  }
}
