import {
  FCGI_HEADER_LEN,
  FCGI_MAX_CONTENT_LEN,
  FCGI_MAX_PADDING_LEN,
  FCGI_VERSION_1,
  RecordType,
} from './constants';
import { ProtocolError } from './errors';
import type { FcgiRecord } from './record';

export interface RecordDecoderOptions {
  /**
   * Most bytes held while a record is assembled across chunks (header plus content; padding is
   * skipped, never kept). A record whose header and content exceed it is refused whatever the
   * chunking. Default: one largest record, 8 + 65535 + 255.
   */
  maxBufferedBytes?: number;
  /**
   * Deliver a stream record (PARAMS, STDIN, STDOUT, STDERR, DATA) that spans chunks as consecutive
   * non-empty pieces, each a view of its chunk, instead of assembling it: stream content is then never
   * copied, and the cap applies only to the other record types. A stream's bytes are the same
   * either way, and only a record that is empty on the wire yields empty content (end of stream).
   * Default false.
   */
  splitStreams?: boolean;
}

const DEFAULT_MAX_BUFFERED = FCGI_HEADER_LEN + FCGI_MAX_CONTENT_LEN + FCGI_MAX_PADDING_LEN;
const EMPTY = new Uint8Array(0);
// The first buffer of a record assembled across chunks holds at least this much (or the whole record).
const MIN_GROWTH = 256;

function isStreamType(type: number): boolean {
  return type >= RecordType.Params && type <= RecordType.Data;
}

/**
 * Turns bytes that arrive in arbitrary chunks into records. A record lying wholly inside one chunk
 * is returned as a view of that chunk; only a record split across chunks is copied, once (or, with
 * `splitStreams`, a stream record is returned piece by piece).
 */
export class RecordDecoder {
  readonly #maxBuffered: number;
  readonly #splitStreams: boolean;
  #failure: ProtocolError | undefined;
  // Header bytes of a record whose header is split across chunks.
  readonly #header = new Uint8Array(FCGI_HEADER_LEN);
  #headerFilled = 0;
  // The record whose content is still arriving: its identity, the bytes still due, and the buffer
  // it is assembled in (undefined when its pieces are handed out as they come). That buffer grows with
  // the bytes that arrive, so a header that announces 64 KiB and stalls holds only what was sent.
  #type = 0;
  #requestId = 0;
  #contentLeft = 0;
  #content: Uint8Array | undefined;
  #contentFilled = 0;
  #contentPadding = 0;
  // Padding bytes still to skip after a record already returned.
  #paddingLeft = 0;

  constructor(options?: RecordDecoderOptions) {
    const max = options?.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    if (!(max >= FCGI_HEADER_LEN)) {
      throw new RangeError(`maxBufferedBytes must be at least ${FCGI_HEADER_LEN}, got ${max}`);
    }
    this.#maxBuffered = max;
    this.#splitStreams = options?.splitStreams === true;
  }

  /** Bytes currently held for a partial record. */
  get bufferedBytes(): number {
    return this.#headerFilled + (this.#content ? this.#contentFilled : 0);
  }

  /** True when no partial record (header, content or padding) is pending. */
  get idle(): boolean {
    return this.#headerFilled === 0 && this.#contentLeft === 0 && this.#paddingLeft === 0;
  }

  /** Every record completed by `chunk`, in order. After a ProtocolError, every call throws it again. */
  push(chunk: Uint8Array): FcgiRecord[] {
    if (this.#failure) throw this.#failure;
    const records: FcgiRecord[] = [];
    const end = chunk.length;
    let offset = 0;

    if (this.#paddingLeft > 0) {
      offset = Math.min(this.#paddingLeft, end);
      this.#paddingLeft -= offset;
    }
    if (this.#headerFilled > 0) {
      const take = Math.min(FCGI_HEADER_LEN - this.#headerFilled, end - offset);
      this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
      this.#headerFilled += take;
      offset += take;
      if (this.#headerFilled < FCGI_HEADER_LEN) return records;
      this.#headerFilled = 0;
      const contentLength = this.#readHeader(this.#header, 0);
      offset = this.#startContent(records, chunk, offset, contentLength, this.#header[6]!);
    }
    if (this.#contentLeft > 0) {
      offset = this.#continueContent(records, chunk, offset);
      if (this.#contentLeft > 0) return records;
    }

    // The fast path: whole records straight from the chunk, content as views.
    while (end - offset >= FCGI_HEADER_LEN) {
      const contentLength = this.#readHeader(chunk, offset);
      const paddingLength = chunk[offset + 6]!;
      const contentStart = offset + FCGI_HEADER_LEN;
      const contentEnd = contentStart + contentLength;
      if (contentEnd > end) {
        this.#startContent(records, chunk, contentStart, contentLength, paddingLength);
        return records;
      }
      records.push({
        type: this.#type,
        requestId: this.#requestId,
        content: chunk.subarray(contentStart, contentEnd),
      });
      offset = this.#skipPadding(paddingLength, contentEnd, end);
    }
    if (offset < end) {
      this.#header.set(chunk.subarray(offset, end));
      this.#headerFilled = end - offset;
    }
    return records;
  }

  /** Begins the content of the record whose header was just read, at `chunk[offset]`. */
  #startContent(
    records: FcgiRecord[],
    chunk: Uint8Array,
    offset: number,
    contentLength: number,
    paddingLength: number,
  ): number {
    if (contentLength === 0) {
      records.push({ type: this.#type, requestId: this.#requestId, content: EMPTY });
      return this.#skipPadding(paddingLength, offset, chunk.length);
    }
    this.#contentLeft = contentLength;
    this.#contentPadding = paddingLength;
    this.#contentFilled = 0;
    this.#content = this.#splitStreams && isStreamType(this.#type) ? undefined : EMPTY;
    return this.#continueContent(records, chunk, offset);
  }

  /** Takes the pending record's content from `chunk[offset..]`; returns the offset after it (and its padding). */
  #continueContent(records: FcgiRecord[], chunk: Uint8Array, offset: number): number {
    const take = Math.min(this.#contentLeft, chunk.length - offset);
    const content = this.#content;
    this.#contentLeft -= take;
    if (content === undefined) {
      // A piece of a stream record: hand it out as a view, but never as an empty one, which would
      // read as the end of the stream.
      if (take > 0) {
        records.push({
          type: this.#type,
          requestId: this.#requestId,
          content: chunk.subarray(offset, offset + take),
        });
      }
    } else {
      const filled = this.#contentFilled + take;
      const assembled = filled > content.length ? this.#grow(content, filled) : content;
      assembled.set(chunk.subarray(offset, offset + take), this.#contentFilled);
      this.#contentFilled = filled;
      this.#content = assembled;
      if (this.#contentLeft === 0) {
        records.push({ type: this.#type, requestId: this.#requestId, content: assembled });
      }
    }
    offset += take;
    if (this.#contentLeft > 0) return offset;
    this.#content = undefined;
    return this.#skipPadding(this.#contentPadding, offset, chunk.length);
  }

  /**
   * A buffer for at least `needed` bytes of the record being assembled, holding what `content` held:
   * doubling, so a record that trickles in is copied a bounded number of times, and never larger than
   * the record, so the last growth leaves exactly its content.
   */
  #grow(content: Uint8Array, needed: number): Uint8Array {
    // #contentLeft already excludes the piece being added, which `needed` includes.
    const total = needed + this.#contentLeft;
    const capacity = Math.min(total, Math.max(needed, content.length * 2, MIN_GROWTH));
    const grown = new Uint8Array(capacity);
    grown.set(content.subarray(0, this.#contentFilled));
    return grown;
  }

  /** Skips up to `paddingLength` bytes from `offset`, remembering what the chunk did not hold. */
  #skipPadding(paddingLength: number, offset: number, end: number): number {
    const available = end - offset;
    if (paddingLength <= available) return offset + paddingLength;
    this.#paddingLeft = paddingLength - available;
    return end;
  }

  /** Validates the header at `offset`, records its type and id, and returns its content length. */
  #readHeader(bytes: Uint8Array, offset: number): number {
    const version = bytes[offset]!;
    if (version !== FCGI_VERSION_1) {
      throw this.#fail(
        new ProtocolError(
          'UNSUPPORTED_VERSION',
          `record version ${version} is not FastCGI version ${FCGI_VERSION_1}`,
        ),
      );
    }
    const type = bytes[offset + 1]!;
    const contentLength = (bytes[offset + 4]! << 8) | bytes[offset + 5]!;
    const assembled = !(this.#splitStreams && isStreamType(type));
    if (assembled && FCGI_HEADER_LEN + contentLength > this.#maxBuffered) {
      throw this.#fail(
        new ProtocolError(
          'RECORD_BUFFER_LIMIT',
          `a record of ${contentLength} content bytes exceeds the ${this.#maxBuffered}-byte buffer limit`,
        ),
      );
    }
    this.#type = type;
    this.#requestId = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    return contentLength;
  }

  #fail(error: ProtocolError): ProtocolError {
    this.#failure = error;
    return error;
  }
}
