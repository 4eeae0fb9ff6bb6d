const CR = 0x0d;
const LF = 0x0a;
const SEMICOLON = 0x3b;
const HEX_RADIX = 16;
// A chunk-size line longer than this is not something node:http writes.
const MAX_LINE = 1024;

enum State {
  Size,
  Data,
  DataEnd,
  Trailer,
  Done,
}

/**
 * Undoes the HTTP/1.1 chunked framing node:http adds when an app sets `Transfer-Encoding: chunked`
 * itself: in a CGI response the web server owns the framing, so the body must go out as plain bytes.
 * Fed the bytes node:http writes, in any split; returns the body bytes (views, no copies).
 */
export class ChunkedDecoder {
  private state = State.Size;
  private line = '';
  private remaining = 0;

  get done(): boolean {
    return this.state === State.Done;
  }

  push(input: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < input.length && this.state !== State.Done) {
      if (this.state === State.Data) {
        const take = Math.min(this.remaining, input.length - offset);
        out.push(input.subarray(offset, offset + take));
        offset += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = State.DataEnd;
        continue;
      }
      const byte = input[offset++] as number;
      if (byte === CR) continue;
      if (byte !== LF) {
        if (this.line.length >= MAX_LINE) throw new Error('Malformed chunked response body from node:http');
        this.line += String.fromCharCode(byte);
        continue;
      }
      this.endLine();
    }
    return out;
  }

  private endLine(): void {
    const line = this.line;
    this.line = '';
    if (this.state === State.DataEnd) {
      this.state = State.Size;
      return;
    }
    if (this.state === State.Trailer) {
      if (line === '') this.state = State.Done;
      return;
    }
    const extension = line.indexOf(String.fromCharCode(SEMICOLON));
    const size = Number.parseInt(extension === -1 ? line : line.slice(0, extension), HEX_RADIX);
    if (!Number.isInteger(size) || size < 0) throw new Error('Malformed chunk size from node:http');
    if (size === 0) this.state = State.Trailer;
    else {
      this.remaining = size;
      this.state = State.Data;
    }
  }
}
