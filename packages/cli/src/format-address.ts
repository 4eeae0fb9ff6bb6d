import type { AddressInfo } from 'node:net';

/** "unix:/run/app.sock", "127.0.0.1:9000", "[::1]:9000": the forms `fcgi request` accepts as a target. */
export function formatAddress(address: AddressInfo | string | null): string {
  if (address === null) return 'an inherited socket';
  if (typeof address === 'string') return `unix:${address}`;
  return address.family === 'IPv6'
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
