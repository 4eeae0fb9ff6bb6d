import { FCGI_HEADER_LEN, FCGI_MAX_CONTENT_LEN, FCGI_MAX_PADDING_LEN, FCGI_VERSION_1 } from './constants';
import { ProtocolError } from './errors';
import type { FcgiRecord } from './record';

export interface RecordDecoderOptions {
  /**
   * Most bytes held while a record is assembled across chunks (header plus content; padding is
   * skipped, never kept). A record whose header and content exceed it is refused whatever the
   * chunking. Default: one largest record, 8 + 65535 + 255.
   */
  maxBufferedBytes?: number;
}

const DEFAULT_MAX_BUFFERED = FCGI_HEADER_LEN + FCGI_MAX_CONTENT_LEN + FCGI_MAX_PADDING_LEN;
const EMPTY = new Uint8Array(0);

/**
 * Turns bytes that arrive in arbitrary chunks into records. A record lying wholly inside one chunk
 * is returned as a view of that chunk; only a record split across chunks is copied, once.
 */
export class RecordDecoder {
  readonly #maxBuffered: number;
  #failure: ProtocolError | undefined;
  // Header bytes of a record whose header is split across chunks.
  readonly #header = new Uint8Array(FCGI_HEADER_LEN);
  #headerFilled = 0;
  // The record whose content is being assembled, if any.
  #type = 0;
  #requestId = 0;
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
  }

  /** Bytes currently held for a partial record. */
  get bufferedBytes(): number {
    return this.#headerFilled + this.#contentFilled;
  }

  /** True when no partial record (header, content or padding) is pending. */
  get idle(): boolean {
    return this.#headerFilled === 0 && this.#content === undefined && this.#paddingLeft === 0;
  }

  /** Every record completed by `chunk`, in order. After a ProtocolError, every call throws it again. */
  push(chunk: Uint8Array): FcgiRecord[] {
    if (this.#failure) throw this.#failure;
    const records: FcgiRecord[] = [];
    const end = chunk.length;
    let offset = 0;

    if (this.#paddingLeft > 0) {
      const skip = Math.min(this.#paddingLeft, end);
      this.#paddingLeft -= skip;
      offset = skip;
    }
    if (this.#headerFilled > 0) {
      const take = Math.min(FCGI_HEADER_LEN - this.#headerFilled, end - offset);
      this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
      this.#headerFilled += take;
      offset += take;
      if (this.#headerFilled < FCGI_HEADER_LEN) return records;
      this.#headerFilled = 0;
      const contentLength = this.#readHeader(this.#header, 0);
      const paddingLength = this.#header[6]!;
      if (contentLength === 0) {
        records.push({ type: this.#type, requestId: this.#requestId, content: EMPTY });
        offset = this.#skipPadding(paddingLength, offset, end);
      } else {
        this.#content = new Uint8Array(contentLength);
        this.#contentFilled = 0;
        this.#contentPadding = paddingLength;
      }
    }
    if (this.#content !== undefined) {
      const content = this.#content;
      const take = Math.min(content.length - this.#contentFilled, end - offset);
      content.set(chunk.subarray(offset, offset + take), this.#contentFilled);
      this.#contentFilled += take;
      offset += take;
      if (this.#contentFilled < content.length) return records;
      records.push({ type: this.#type, requestId: this.#requestId, content });
      this.#content = undefined;
      this.#contentFilled = 0;
      offset = this.#skipPadding(this.#contentPadding, offset, end);
    }

    // The fast path: whole records straight from the chunk, content as views.
    while (end - offset >= FCGI_HEADER_LEN) {
      const contentLength = this.#readHeader(chunk, offset);
      const paddingLength = chunk[offset + 6]!;
      const contentStart = offset + FCGI_HEADER_LEN;
      const contentEnd = contentStart + contentLength;
      if (contentEnd <= end) {
        records.push({
          type: this.#type,
          requestId: this.#requestId,
          content: chunk.subarray(contentStart, contentEnd),
        });
        offset = this.#skipPadding(paddingLength, contentEnd, end);
        continue;
      }
      const content = new Uint8Array(contentLength);
      content.set(chunk.subarray(contentStart, end));
      this.#content = content;
      this.#contentFilled = end - contentStart;
      this.#contentPadding = paddingLength;
      return records;
    }
    if (offset < end) {
      this.#header.set(chunk.subarray(offset, end));
      this.#headerFilled = end - offset;
    }
    return records;
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
    const contentLength = (bytes[offset + 4]! << 8) | bytes[offset + 5]!;
    if (FCGI_HEADER_LEN + contentLength > this.#maxBuffered) {
      throw this.#fail(
        new ProtocolError(
          'RECORD_BUFFER_LIMIT',
          `a record of ${contentLength} content bytes exceeds the ${this.#maxBuffered}-byte buffer limit`,
        ),
      );
    }
    this.#type = bytes[offset + 1]!;
    this.#requestId = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    return contentLength;
  }

  #fail(error: ProtocolError): ProtocolError {
    this.#failure = error;
    return error;
  }
}
