import type { ParamValue } from './params-builder';

const utf8 = new TextEncoder();
/** Lengths above this need the four-byte form (§3.4). */
const MAX_SHORT_LENGTH = 127;
const LONG_LENGTH_FLAG = 0x80000000;

function lengthSize(length: number): number {
  return length > MAX_SHORT_LENGTH ? 4 : 1;
}

function writeLength(target: Uint8Array, view: DataView, offset: number, length: number): number {
  if (length > MAX_SHORT_LENGTH) {
    view.setUint32(offset, (length | LONG_LENGTH_FLAG) >>> 0);
    return offset + 4;
  }
  target[offset] = length;
  return offset + 1;
}

/**
 * Encodes name/value pairs (§3.4) into one buffer. Unlike @fcgi/protocol's encodeParams, a value may
 * be raw bytes, so request header bytes reach the backend unchanged.
 */
export function encodeParamValues(params: Iterable<readonly [string, ParamValue]>): Uint8Array {
  const encoded: Array<[Uint8Array, Uint8Array]> = [];
  let size = 0;
  for (const [name, value] of params) {
    const nameBytes = utf8.encode(name);
    const valueBytes = typeof value === 'string' ? utf8.encode(value) : value;
    encoded.push([nameBytes, valueBytes]);
    size +=
      lengthSize(nameBytes.length) + lengthSize(valueBytes.length) + nameBytes.length + valueBytes.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const [nameBytes, valueBytes] of encoded) {
    offset = writeLength(out, view, offset, nameBytes.length);
    offset = writeLength(out, view, offset, valueBytes.length);
    out.set(nameBytes, offset);
    offset += nameBytes.length;
    out.set(valueBytes, offset);
    offset += valueBytes.length;
  }
  return out;
}
