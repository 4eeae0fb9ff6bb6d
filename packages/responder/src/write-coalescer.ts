import type { Duplex } from 'node:stream';

// Small multi-part writes are copied into one buffer (one syscall, one packet). Larger ones are
// corked so that body views are written without a copy; the small parts between them (record
// headers, padding, a read's worth of management replies) are still copied together in runs of up to
// this size, since every queued write costs far more memory and time than copying a few bytes.
const COALESCE_LIMIT = 16 * 1024;
// A part at least this large is written as it is (a view of a body), never copied.
const COPY_BELOW = 1024;

/** Writes `parts` to a writable socket in one go; false when it wants a drain before more is written. */
export function writeCoalesced(socket: Duplex, parts: Uint8Array[]): boolean {
  if (parts.length === 1) return socket.write(parts[0] as Uint8Array);
  let total = 0;
  for (const part of parts) total += part.length;
  if (total <= COALESCE_LIMIT) return socket.write(joined(parts, 0, parts.length, total));
  socket.cork();
  let ok = true;
  let runStart = 0;
  let runBytes = 0;
  const writeRun = (end: number) => {
    if (end > runStart) ok = socket.write(joined(parts, runStart, end, runBytes));
    runBytes = 0;
  };
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] as Uint8Array;
    if (part.length < COPY_BELOW) {
      runBytes += part.length;
      if (runBytes >= COALESCE_LIMIT) {
        writeRun(index + 1);
        runStart = index + 1;
      }
      continue;
    }
    writeRun(index);
    ok = socket.write(part);
    runStart = index + 1;
  }
  writeRun(parts.length);
  socket.uncork();
  return ok;
}

/** parts[start, end) as one buffer of `length` bytes (the part itself when there is only one). */
function joined(parts: Uint8Array[], start: number, end: number, length: number): Uint8Array {
  if (end - start === 1) return parts[start] as Uint8Array;
  const buffer = Buffer.allocUnsafe(length);
  let offset = 0;
  for (let index = start; index < end; index++) {
    const part = parts[index] as Uint8Array;
    buffer.set(part, offset);
    offset += part.length;
  }
  return buffer;
}
