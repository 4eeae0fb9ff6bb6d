import { ProtocolError } from '@fcgi/protocol';

export { ProtocolError };

/** The handler threw, rejected, returned something that is not a Response, timed out, or its body stream failed. */
export class HandlerError extends Error {
  override name = 'HandlerError';
}

/**
 * Which configured limit a request crossed. Distinct from `ProtocolError` codes, which mean the web
 * server sent something broken: a limit is the app's policy, met by a well-behaved web server.
 */
export type RequestLimitCode =
  /** The body (declared CONTENT_LENGTH or bytes received) is over maxBodyBytes: answered 413. */
  | 'BODY_TOO_LARGE'
  /** The handler left more than maxBufferedBytes of its body unread on a shared connection: 503. */
  | 'BODY_BACKLOG'
  /** The connection's requests together held more than maxConnectionBytes: the largest answered 503. */
  | 'CONNECTION_BACKLOG'
  /** The PARAMS did not all arrive within paramsTimeout of the BEGIN_REQUEST: 408. */
  | 'PARAMS_TIMEOUT'
  /** The handler waited longer than bodyTimeout for the next STDIN record: 408. */
  | 'BODY_TIMEOUT'
  /** The web server took none of the queued output for sendTimeout: the connection is closed. */
  | 'SEND_TIMEOUT';

/** A request crossed a limit set in ServeOptions; `limit` is that option's value. */
export class RequestLimitError extends Error {
  override name = 'RequestLimitError';
  readonly code: RequestLimitCode;
  readonly limit: number;

  constructor(code: RequestLimitCode, limit: number, message: string) {
    super(message);
    this.code = code;
    this.limit = limit;
  }
}

/** A peer connected from an address that allowedAddresses (or FCGI_WEB_SERVER_ADDRS) does not list. */
export class ConnectionDeniedError extends Error {
  override name = 'ConnectionDeniedError';
  readonly remoteAddress: string | undefined;

  constructor(remoteAddress: string | undefined) {
    super(
      `Connection from ${remoteAddress ?? 'an unknown address'} refused: not in allowedAddresses / FCGI_WEB_SERVER_ADDRS`,
    );
    this.remoteAddress = remoteAddress;
  }
}

/** What a `throw` of anything becomes before it is reported. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
