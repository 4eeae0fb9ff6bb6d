// A peer that floods management records and never reads the answers: what the server queues for it is
// bounded by maxConnectionBytes (it stops reading), and sendTimeout finally closes the connection.
import { describe, expect, test } from 'vitest';
import { managementFlood } from '../src/attacks/management-flood';
import {
  describeCounts,
  expectMemoryWithin,
  expectServing,
  MEMORY_BOUNDS,
  measureMemory,
  report,
  startServer,
  takeBaseline,
} from './helpers';

const FLOOD_RECORDS = 4_000_000; // 32 MB of records, twice the default maxConnectionBytes of answers
const STALL_MS = 3000;
const SEND_TIMEOUT_MS = 2000;
const CLOSE_WAIT_MS = 15_000;

describe('a management-record flood from a peer that never reads', () => {
  // Found by this suite: the server stopped reading once maxConnectionBytes of answers were queued,
  // but wrote each 16-byte UNKNOWN_TYPE answer on its own, and a queued write costs a few hundred
  // bytes: 16 MiB of answers held about 600 MiB. The answers of one read are now written together.
  test('holds within 64 MiB of its baseline with the default limits, and the server stops reading', async () => {
    const server = await startServer();
    const baseline = await takeBaseline(server);
    const flood = await managementFlood(server.socketPath, { records: FLOOD_RECORDS, stallMs: STALL_MS });
    const memory = await measureMemory(server, baseline);
    report('management flood, defaults', {
      'records sent': `${flood.sentBytes / 8} of ${FLOOD_RECORDS}`,
      'writing ended': flood.ended,
      ...memory.figures,
    });
    expect(flood.ended).toBe('stalled');
    expectMemoryWithin(memory, MEMORY_BOUNDS);
    await expectServing(server);
    flood.peer.destroy();
  });

  test('is closed once the peer has taken nothing for sendTimeout', async () => {
    const server = await startServer({ sendTimeout: SEND_TIMEOUT_MS });
    const flood = await managementFlood(server.socketPath, { records: FLOOD_RECORDS, stallMs: STALL_MS });
    // The peer never reads, so it learns of the close only by trying to write.
    const started = Date.now();
    let result = flood.ended;
    while (result !== 'closed' && Date.now() - started < CLOSE_WAIT_MS) {
      result = await flood.peer.write(new Uint8Array(8), 500);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const errors = await server.errors();
    report('management flood, sendTimeout 2000', { 'server errors': describeCounts(errors) });
    expect(errors['RequestLimitError SEND_TIMEOUT']).toBe(1);
    await expectServing(server);
    flood.peer.destroy();
  });
});
