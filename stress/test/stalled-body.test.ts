// A body that never completes (CONTENT_LENGTH 100, 10 bytes sent, then silence) to a handler that reads
// it: answered 408 once bodyTimeout passes without a STDIN record, instead of waiting for ever.
import { describe, expect, test } from 'vitest';
import { stalledBody } from '../src/attacks/stalled-body';
import { describeCounts, expectServing, report, startServer } from './helpers';

const BODY_TIMEOUT_MS = 1000;

describe('a body that stops arriving', () => {
  test('is answered 408 after bodyTimeout, reported as BODY_TIMEOUT', async () => {
    const server = await startServer({ bodyTimeout: BODY_TIMEOUT_MS });
    const result = await stalledBody(server.socketPath, {
      declaredBytes: 100,
      sentBytes: 10,
      waitMs: 15_000,
    });
    const errors = await server.errors();
    report('stalled body, bodyTimeout 1000', {
      status: result.answer?.status ?? 'none',
      'answered after ms': Math.round(result.elapsedMs),
      'server errors': describeCounts(errors),
    });
    expect(result.answer?.status).toBe(408);
    // Not before the deadline; the upper bound is only "seconds, not for ever" on a loaded machine.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
    expect(errors['RequestLimitError BODY_TIMEOUT']).toBe(1);
    result.peer.destroy();
    await expectServing(server);
  });
});
