import { isIP } from 'node:net';
import type { Context } from 'hono';
import type { AddressType, ConnInfo, GetConnInfo } from 'hono/conninfo';
import { isRequestInfo } from './env';

function addressTypeOf(address: string): AddressType {
  const version = isIP(address);
  if (version === 4) return 'IPv4';
  if (version === 6) return 'IPv6';
  return undefined;
}

/**
 * Hono's ConnInfo helper for apps served by `@fcgi/hono`: the remote end is the HTTP client as the web
 * server saw it (REMOTE_ADDR / REMOTE_PORT), not the web server's own connection to us, which is what
 * `ipRestriction` and similar middleware need.
 */
export const getConnInfo: GetConnInfo = (c: Context): ConnInfo => {
  const info: unknown = c.env;
  if (!isRequestInfo(info)) {
    throw new TypeError(
      'getConnInfo from @fcgi/hono found no FastCGI request info in c.env: serve the app with serve() from @fcgi/hono',
    );
  }
  const address = info.remoteAddress;
  const port = info.remotePort;
  if (!address) return { remote: port === undefined ? {} : { port } };
  return {
    remote: {
      address,
      addressType: addressTypeOf(address),
      ...(port === undefined ? {} : { port }),
      transport: 'tcp',
    },
  };
};
