// A body that never completes: CONTENT_LENGTH promises more than is sent, then silence, to a handler
// that reads its body.
import { Peer } from '../peer';
import { type Answer, answerFor, requestRecords } from '../requests';

export interface StalledBodyOptions {
  declaredBytes: number;
  sentBytes: number;
  /** How long to wait for an answer. */
  waitMs: number;
}

export interface StalledBodyResult {
  answer: Answer | undefined;
  /** From the last byte sent to the answer (or to giving up). */
  elapsedMs: number;
  peer: Peer;
}

export async function stalledBody(path: string, options: StalledBodyOptions): Promise<StalledBodyResult> {
  const peer = await Peer.open(path);
  await peer.write(
    requestRecords({
      method: 'POST',
      uri: '/echo',
      body: new Uint8Array(options.sentBytes).fill(0x63),
      openStdin: true,
      extraParams: { CONTENT_LENGTH: String(options.declaredBytes) },
    }),
  );
  const started = performance.now();
  await peer.waitFor((records) => answerFor(records, 1) !== undefined, options.waitMs);
  return { answer: answerFor(peer.records, 1), elapsedMs: performance.now() - started, peer };
}
