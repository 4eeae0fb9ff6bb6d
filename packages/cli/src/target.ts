import { isAbsolute, resolve } from 'node:path';
import { UsageError } from './errors';

const TARGET_FORMS =
  'unix:/path/app.sock, ./app.sock, host:port, tcp://host:port, [::1]:port or a port number';

/**
 * Turns what a user types as a FastCGI target into what `createClient` accepts: relative socket paths are
 * resolved against `cwd` (the client runs elsewhere), a bare port means 127.0.0.1, and anything else is
 * rejected here with the accepted forms rather than later as a confusing connection error.
 */
export function normalizeTarget(input: string, cwd: string): string {
  const text = input.trim();
  if (text === '') throw new UsageError(`missing FastCGI target; use ${TARGET_FORMS}`);
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') throw new UsageError(`invalid target "${input}": no socket path after "unix:"`);
    return `unix:${resolve(cwd, path)}`;
  }
  if (isAbsolute(text) || text.startsWith('./') || text.startsWith('../') || text.endsWith('.sock')) {
    return `unix:${resolve(cwd, text)}`;
  }
  if (/^\d+$/.test(text)) return `127.0.0.1:${checkPort(text, input)}`;
  const hostPort = text.startsWith('tcp://') ? text.slice('tcp://'.length) : text;
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(hostPort);
  if (!match) throw new UsageError(`invalid target "${input}"; use ${TARGET_FORMS}`);
  return `${match[1]}:${checkPort(match[2]!, input)}`;
}

function checkPort(text: string, input: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`invalid target "${input}": port must be 1-65535`);
  }
  return port;
}

/** Parses a TCP port option (0 = any free port). */
export function parsePort(text: string, option: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${option} must be a port number 0-65535, got "${text}"`);
  }
  return port;
}

/** Parses a --timeout option: a positive whole number of milliseconds. */
export function parseTimeout(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new UsageError(`--timeout must be a positive number of ms, got "${text}"`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses a size option as nginx writes them: bytes, or a whole number with k, m or g (1024-based). */
export function parseSize(text: string, option: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new UsageError(`${option} must be a positive size such as 1048576, 512k or 8m, got "${text}"`);
  return bytes;
}
