// A request head the fuzzer found mishandled: REQUEST_METHOD that is not an HTTP token.
import { describe, expect, test } from 'vitest';
import { Peer } from '../src/peer';
import { answerFor, requestRecords } from '../src/requests';
import { expectServing, startServer } from './helpers';

const ANSWER_WAIT_MS = 5000;

describe('a REQUEST_METHOD that is not an HTTP token', () => {
  // Found by this suite's fuzzer: the method reached the Request constructor, whose TypeError dropped
  // the whole connection with no END_REQUEST. It is now answered 400 like other malformed params.
  test('is answered 400 on a connection that stays usable', async () => {
    const server = await startServer();
    const peer = await Peer.open(server.socketPath);
    await peer.write(requestRecords({ id: 1, keepConn: true, method: 'GE T' }));
    await peer.waitFor((records) => answerFor(records, 1) !== undefined, ANSWER_WAIT_MS);
    expect(answerFor(peer.records, 1)?.status).toBe(400);
    await peer.write(requestRecords({ id: 2, keepConn: true }));
    await peer.waitFor((records) => answerFor(records, 2) !== undefined, ANSWER_WAIT_MS);
    expect(answerFor(peer.records, 2)?.body).toBe('hello\n');
    peer.destroy();
    await expectServing(server);
  });
});
