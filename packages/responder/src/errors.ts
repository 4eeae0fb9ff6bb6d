import { ProtocolError } from '@fcgi/protocol';

export { ProtocolError };

/** The handler threw, rejected, returned something that is not a Response, timed out, or its body stream failed. */
export class HandlerError extends Error {
  override name = 'HandlerError';
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
