// Many request ids multiplexed on one connection, each sending a large body to a handler that never
// reads it: everything the server buffers for that connection is what the peer chooses.
import { encodeHeader, RecordType } from '@fcgi/protocol';
import { Peer } from '../peer';
import { type Answer, answerFor, requestRecords } from '../requests';
import { Tally } from '../tally';

/** STDIN bytes per record: the ids take turns a record at a time, as a multiplexing web server sends. */
const STDIN_RECORD_BYTES = 32 * 1024;

export interface UnreadBodiesOptions {
  ids: number;
  /** Body bytes sent for each id. */
  bodyBytes: number;
  /** Give up writing when the server has taken nothing for this long. */
  stallMs: number;
  /** How long to wait for the answers once everything is written. */
  answerWaitMs: number;
}

export interface UnreadBodiesResult {
  peer: Peer;
  sentBytes: number;
  ended: 'written' | 'stalled' | 'closed';
  /** Answers by status ("503", ...), and "unanswered". */
  answers: Tally;
}

export async function unreadBodies(path: string, options: UnreadBodiesOptions): Promise<UnreadBodiesResult> {
  const peer = await Peer.open(path);
  const ids = Array.from({ length: options.ids }, (_, index) => index + 1);
  const heads = ids.flatMap((id) =>
    requestRecords({
      id,
      keepConn: true,
      method: 'POST',
      uri: '/never-reads',
      openStdin: true,
      extraParams: { CONTENT_LENGTH: String(options.bodyBytes) },
    }),
  );
  let ended = await peer.write(heads, options.stallMs);
  let sentBytes = 0;
  const payload = new Uint8Array(STDIN_RECORD_BYTES).fill(0x62);
  for (let offset = 0; offset < options.bodyBytes && ended === 'written'; offset += STDIN_RECORD_BYTES) {
    const length = Math.min(STDIN_RECORD_BYTES, options.bodyBytes - offset);
    const round: Uint8Array[] = [];
    for (const id of ids) {
      // A request already answered takes no more of its body, as a web server would stop sending it.
      if (answerFor(peer.records, id)) continue;
      round.push(encodeHeader(RecordType.Stdin, id, length), payload.subarray(0, length));
      sentBytes += length;
    }
    if (round.length === 0) break;
    ended = await peer.write(round, options.stallMs);
  }
  await peer.waitFor((records) => ids.every((id) => answerFor(records, id)), options.answerWaitMs);
  const answers = new Tally();
  for (const id of ids) {
    const answer: Answer | undefined = answerFor(peer.records, id);
    answers.add(answer ? String(answer.status) : 'unanswered');
  }
  return { peer, sentBytes, ended, answers };
}
