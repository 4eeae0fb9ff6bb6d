import type { Duplex } from 'node:stream';

// Small multi-part writes are copied into one buffer (one syscall, one packet); larger ones are
// corked so the body views are written without a copy.
const COALESCE_LIMIT = 16 * 1024;

/** Writes `parts` to a writable socket in one go; false when it wants a drain before more is written. */
export function writeCoalesced(socket: Duplex, parts: Uint8Array[]): boolean {
  if (parts.length === 1) return socket.write(parts[0] as Uint8Array);
  let total = 0;
  for (const part of parts) total += part.length;
  if (total <= COALESCE_LIMIT) {
    const buffer = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const part of parts) {
      buffer.set(part, offset);
      offset += part.length;
    }
    return socket.write(buffer);
  }
  socket.cork();
  let ok = true;
  for (const part of parts) ok = socket.write(part);
  socket.uncork();
  return ok;
}
