// Unread body bytes that each keep a whole socket read alive: one STDIN byte for a request whose
// handler never reads, then a record for an id that is not active (ignored, as §3.3 says), so each
// read from the socket carries about one byte the server keeps. The server counts that byte against
// its limits; if it keeps a view of the read, the whole read stays in memory with it.
import { encodeHeader, FCGI_MAX_CONTENT_LEN, RecordType } from '@fcgi/protocol';
import { Peer, type WriteResult } from '../peer';
import { requestRecords } from '../requests';

const HELD_ID = 1;
const IGNORED_ID = 2;

export interface PinnedReadsOptions {
  /** Kept bytes to send, each followed by an ignored record of FCGI_MAX_CONTENT_LEN bytes. */
  keptBytes: number;
  stallMs: number;
}

export interface PinnedReadsResult {
  peer: Peer;
  /** Bytes written in all. */
  sentBytes: number;
  ended: WriteResult;
}

export async function pinnedReads(path: string, options: PinnedReadsOptions): Promise<PinnedReadsResult> {
  const peer = await Peer.open(path);
  let ended = await peer.write(
    requestRecords({
      id: HELD_ID,
      keepConn: true,
      method: 'POST',
      uri: '/never-reads',
      openStdin: true,
      extraParams: { CONTENT_LENGTH: String(options.keptBytes) },
    }),
  );
  const filler = new Uint8Array(FCGI_MAX_CONTENT_LEN);
  const pair = [
    encodeHeader(RecordType.Stdin, HELD_ID, 1),
    new Uint8Array(1),
    encodeHeader(RecordType.Stdin, IGNORED_ID, FCGI_MAX_CONTENT_LEN),
    filler,
  ];
  const pairBytes = pair.reduce((sum, part) => sum + part.length, 0);
  let sentBytes = 0;
  for (let kept = 0; kept < options.keptBytes && ended === 'written'; kept++) {
    ended = await peer.write(pair, options.stallMs);
    sentBytes += pairBytes;
  }
  return { peer, sentBytes, ended };
}
