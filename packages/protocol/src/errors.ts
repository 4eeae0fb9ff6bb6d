/** Machine-readable reason carried by every {@link ProtocolError}. */
export type ProtocolErrorCode =
  | 'UNSUPPORTED_VERSION'
  | 'RECORD_BUFFER_LIMIT'
  | 'MALFORMED_RECORD'
  | 'MALFORMED_PARAMS'
  | 'PARAMS_TOO_LARGE'
  | 'TOO_MANY_PARAMS'
  | 'INVALID_HEADER'
  | 'MALFORMED_RESPONSE_HEAD'
  | 'RESPONSE_HEAD_TOO_LARGE'
  /** FCGI_STDIN carried more, or ended with fewer, bytes than the request's CONTENT_LENGTH said. */
  | 'CONTENT_LENGTH_MISMATCH'
  /** A BEGIN_REQUEST named a request id that is still active on its connection. */
  | 'REQUEST_ID_IN_USE';

/** Input that violates the FastCGI protocol or a configured limit. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
