// Mutated record streams against a live server: it must never crash, never send broken framing or a
// second END_REQUEST for one BEGIN_REQUEST, keep its memory bounded, and still serve normal requests.
import { describe, expect, test } from 'vitest';
import { fuzz } from '../src/attacks/fuzzer';
import { seedFromEnv } from '../src/prng';
import {
  describeCounts,
  describeSamples,
  expectMemoryWithin,
  expectServing,
  MEMORY_BOUNDS,
  measureMemory,
  report,
  startServer,
  takeBaseline,
} from './helpers';

/** What broken input may make the responder report; anything else is a bug of its own. */
const EXPECTED_ERRORS = ['ProtocolError', 'RequestLimitError', 'HandlerError'];
const FUZZ_SECONDS = Number(process.env.STRESS_FUZZ_SECONDS) || 20;

describe('mutated record streams', () => {
  test(
    'leave the server alive, answering, within its memory bound, with sound framing and at most one END_REQUEST per BEGIN_REQUEST',
    async () => {
      const seed = seedFromEnv();
      const server = await startServer({ paramsTimeout: 1000, bodyTimeout: 1000, sendTimeout: 2000 });
      const baseline = await takeBaseline(server);
      const result = await fuzz(server.socketPath, {
        seed,
        durationMs: FUZZ_SECONDS * 1000,
        concurrency: 24,
        maxWaitMs: 3000,
        quietMs: 150,
      });
      const replay = `seed ${seed} (replay: STRESS_SEED=${seed})`;
      const memory = await measureMemory(server, baseline);
      const errors = await server.errorReport();
      report('fuzzer', {
        seed,
        streams: result.streams,
        'bytes sent': result.bytesSent,
        answers: result.answers.toString(),
        endings: result.endings.toString(),
        failures: result.failureCount,
        'server errors': describeCounts(errors.errors),
        'unexpected errors': describeSamples(errors.samples, EXPECTED_ERRORS),
        ...memory.figures,
      });
      expect(result.failures, replay).toEqual([]);
      expect(result.streams, replay).toBeGreaterThan(1000);
      expect(server.alive, `${replay}: ${server.describeExit()}`).toBe(true);
      expectMemoryWithin(memory, MEMORY_BOUNDS);
      await expectServing(server);
    },
    FUZZ_SECONDS * 1000 + 60_000,
  );
});
