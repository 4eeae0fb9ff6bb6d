// Request heads that never end: on each of several connections, many request ids each send most of
// maxParamsBytes of PARAMS and never the empty PARAMS record that ends them.
import { encodeBeginRequest, encodeParams, encodeRecord, RecordType, Role } from '@fcgi/protocol';
import { Peer } from '../peer';
import { answerFor } from '../requests';
import { Tally } from '../tally';

export interface UnterminatedParamsOptions {
  connections: number;
  ids: number;
  /** PARAMS bytes each id sends (one record: at most 65,535). */
  paramsBytes: number;
  stallMs: number;
}

export interface UnterminatedParamsResult {
  peers: Peer[];
  sentBytes: number;
}

/** A params block of about `bytes` bytes: the request line, then one header as long as needed. */
function paramsOf(bytes: number): Uint8Array {
  const fixed = encodeParams({ REQUEST_METHOD: 'GET', REQUEST_URI: '/hello', HTTP_X_FILL: '' });
  return encodeParams({
    REQUEST_METHOD: 'GET',
    REQUEST_URI: '/hello',
    // Four bytes of the length prefix grow once the value is over 127 bytes.
    HTTP_X_FILL: 'f'.repeat(Math.max(0, bytes - fixed.length - 3)),
  });
}

export async function unterminatedParams(
  path: string,
  options: UnterminatedParamsOptions,
): Promise<UnterminatedParamsResult> {
  const params = paramsOf(options.paramsBytes);
  const peers = await Promise.all(Array.from({ length: options.connections }, () => Peer.open(path)));
  let sentBytes = 0;
  await Promise.all(
    peers.map(async (peer) => {
      for (let id = 1; id <= options.ids; id++) {
        const head = [encodeBeginRequest(id, Role.Responder, 1), encodeRecord(RecordType.Params, id, params)];
        if ((await peer.write(head, options.stallMs)) !== 'written') return;
        sentBytes += params.length;
      }
    }),
  );
  return { peers, sentBytes };
}

/** The answers the peers have received so far, by status, and "unanswered". */
export function paramsAnswers(peers: readonly Peer[], ids: number): Tally {
  const answers = new Tally();
  for (const peer of peers) {
    for (let id = 1; id <= ids; id++) {
      const answer = answerFor(peer.records, id);
      answers.add(answer ? String(answer.status) : peer.isOpen ? 'unanswered' : 'connection closed');
    }
  }
  return answers;
}
