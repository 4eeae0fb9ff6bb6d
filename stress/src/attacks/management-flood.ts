// A peer that floods the server with management records it must answer (here: records of an unknown
// type, each answered FCGI_UNKNOWN_TYPE) and never reads a byte of the answers.
import { encodeHeader } from '@fcgi/protocol';
import { Peer } from '../peer';

/** Not a FastCGI record type: the server answers each one with an UNKNOWN_TYPE record. */
const UNDEFINED_RECORD_TYPE = 99;
const RECORD_BYTES = 8;
const RECORDS_PER_WRITE = 8192;

export interface FloodOptions {
  /** Empty management records to send (8 bytes each). */
  records: number;
  /** Give up writing when the server has taken nothing for this long (it has stopped reading). */
  stallMs: number;
}

export interface FloodResult {
  /** The flooding peer, left open and unread: the caller decides when it goes. */
  peer: Peer;
  sentBytes: number;
  /** How the writing ended: everything written, the server stopped reading, or it closed the connection. */
  ended: 'written' | 'stalled' | 'closed';
}

export async function managementFlood(path: string, options: FloodOptions): Promise<FloodResult> {
  const peer = await Peer.open(path, { read: false });
  const record = encodeHeader(UNDEFINED_RECORD_TYPE, 0, 0);
  const chunk = new Uint8Array(RECORD_BYTES * RECORDS_PER_WRITE);
  for (let offset = 0; offset < chunk.length; offset += RECORD_BYTES) chunk.set(record, offset);
  let sentBytes = 0;
  for (let sent = 0; sent < options.records; sent += RECORDS_PER_WRITE) {
    const count = Math.min(RECORDS_PER_WRITE, options.records - sent);
    const result = await peer.write(chunk.subarray(0, count * RECORD_BYTES), options.stallMs);
    if (result !== 'written') return { peer, sentBytes, ended: result };
    sentBytes += count * RECORD_BYTES;
  }
  return { peer, sentBytes, ended: 'written' };
}
