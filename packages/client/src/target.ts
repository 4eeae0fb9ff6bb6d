import { isIP } from 'node:net';
import { FcgiClientError } from './errors';

/** Where a FastCGI backend listens: a unix socket path or a TCP host and port. */
export type FcgiTarget =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

const TARGET_FORMS = "'unix:/path', '/path', 'host:port', 'tcp://host:port' or '[::1]:port'";

function invalidTarget(target: string, why: string): FcgiClientError {
  return new FcgiClientError(
    'INVALID_TARGET',
    `Invalid FastCGI target ${JSON.stringify(target)}: ${why}. Expected ${TARGET_FORMS}.`,
  );
}

function parsePort(target: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalidTarget(target, `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw invalidTarget(target, `port ${port} is outside 1-65535`);
  return port;
}

function parseHostPort(target: string, hostPort: string): FcgiTarget {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    const host = hostPort.slice(1, close);
    if (close < 0 || isIP(host) !== 6)
      throw invalidTarget(target, 'the bracketed part is not an IPv6 address');
    if (hostPort[close + 1] !== ':') throw invalidTarget(target, 'a port must follow the IPv6 address');
    return { kind: 'tcp', host, port: parsePort(target, hostPort.slice(close + 2)) };
  }
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) throw invalidTarget(target, 'no port given');
  const host = hostPort.slice(0, colon);
  if (host === '') throw invalidTarget(target, 'no host given');
  // An unbracketed IPv6 address is ambiguous ("::1:9000"): insist on brackets, as URLs do.
  if (host.includes(':')) throw invalidTarget(target, 'write IPv6 addresses in brackets, e.g. [::1]:9000');
  if (!/^[A-Za-z0-9.-]+$/.test(host))
    throw invalidTarget(target, `host ${JSON.stringify(host)} is not valid`);
  return { kind: 'tcp', host, port: parsePort(target, hostPort.slice(colon + 1)) };
}

/** Parses a target string; throws a FcgiClientError (code INVALID_TARGET) naming the accepted forms. */
export function parseTarget(target: string): FcgiTarget {
  if (typeof target !== 'string' || target.trim() === '') {
    throw invalidTarget(String(target), 'it is empty');
  }
  if (target.startsWith('unix:')) {
    const path = target.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw invalidTarget(target, 'no socket path after "unix:"');
    return { kind: 'unix', path };
  }
  if (target.startsWith('/') || target.startsWith('./') || target.startsWith('../')) {
    return { kind: 'unix', path: target };
  }
  if (target.startsWith('tcp://')) {
    return parseHostPort(target, target.slice('tcp://'.length).replace(/\/$/, ''));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw invalidTarget(target, 'only the tcp:// and unix: schemes are supported');
  }
  return parseHostPort(target, target);
}

/** A human-readable form of a target, for error messages. */
export function describeTarget(target: FcgiTarget): string {
  if (target.kind === 'unix') return `unix:${target.path}`;
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** @deprecated Renamed {@link FcgiTarget} (one `Fcgi` prefix across packages); removed in the next minor. */
export type FastCGITarget = FcgiTarget;
