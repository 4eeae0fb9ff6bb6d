import { ProtocolStatus } from '@fcgi/protocol';

/** Machine-readable reason carried by every {@link FcgiClientError}. */
export type FcgiClientErrorCode =
  /** The target string is not one of the accepted forms. */
  | 'INVALID_TARGET'
  /** Connecting to the backend failed (refused, no such socket, ...); `cause` has the system error. */
  | 'CONNECT_FAILED'
  /** The connection closed or failed before the request's END_REQUEST arrived. */
  | 'CONNECTION_CLOSED'
  /** The backend ended the request without sending a response head on STDOUT. */
  | 'EMPTY_RESPONSE'
  /** The backend's STDOUT or records could not be understood. */
  | 'MALFORMED_RESPONSE'
  /** A streamed request body did not match its Content-Length header. */
  | 'BODY_LENGTH_MISMATCH'
  /** A request body of unknown length was larger than the bufferRequestBody option allows. */
  | 'REQUEST_BODY_TOO_LARGE'
  /** The backend answered a management record with UNKNOWN_TYPE. */
  | 'UNKNOWN_TYPE'
  /** The client was closed; no new request is accepted. */
  | 'CLIENT_CLOSED'
  /** More requests were waiting for a connection than the maxQueuedRequests option allows. */
  | 'QUEUE_FULL'
  /**
   * Multiplexing: a response body went unread while more than maxBufferedBodyBytes of it arrived; the
   * request was aborted so that the requests sharing its connection keep flowing.
   */
  | 'RESPONSE_BUFFER_FULL';

/** Every failure of the client that is not a timeout, an abort or a protocol status. */
export class FcgiClientError extends Error {
  override readonly name = 'FcgiClientError';
  readonly code: FcgiClientErrorCode;
  /** STDERR text the backend sent for this request before it failed, if any. */
  stderr = '';

  constructor(code: FcgiClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  [ProtocolStatus.CantMpxConn]:
    'the backend cannot multiplex requests on one connection (FCGI_CANT_MPX_CONN)',
  [ProtocolStatus.Overloaded]: 'the backend is overloaded and refused the request (FCGI_OVERLOADED)',
  [ProtocolStatus.UnknownRole]: 'the backend does not support the requested role (FCGI_UNKNOWN_ROLE)',
};

/** The backend ended the request with a protocolStatus other than FCGI_REQUEST_COMPLETE. */
export class FcgiStatusError extends Error {
  override readonly name = 'FcgiStatusError';
  readonly protocolStatus: number;
  readonly appStatus: number;
  /** STDERR text the backend sent for this request, if any. */
  stderr = '';

  constructor(protocolStatus: number, appStatus = 0) {
    super(
      `FastCGI request rejected: ${STATUS_MESSAGES[protocolStatus] ?? `unknown protocolStatus ${protocolStatus}`}`,
    );
    this.protocolStatus = protocolStatus;
    this.appStatus = appStatus;
  }
}

/** The error a `timeout` or `connectTimeout` rejects with, shaped like AbortSignal.timeout()'s reason. */
export function timeoutError(message: string): DOMException {
  return new DOMException(message, 'TimeoutError');
}

/** What an aborted signal rejects with: its reason, or an AbortError when it has none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** @deprecated Renamed {@link FcgiClientError} (one `Fcgi` prefix across packages); removed in the next minor. */
export const FastCGIClientError = FcgiClientError;
/** @deprecated Renamed {@link FcgiClientError}. */
export type FastCGIClientError = FcgiClientError;
/** @deprecated Renamed {@link FcgiClientErrorCode}. */
export type FastCGIClientErrorCode = FcgiClientErrorCode;
/** @deprecated Renamed {@link FcgiStatusError} (one `Fcgi` prefix across packages); removed in the next minor. */
export const FastCGIStatusError = FcgiStatusError;
/** @deprecated Renamed {@link FcgiStatusError}. */
export type FastCGIStatusError = FcgiStatusError;
