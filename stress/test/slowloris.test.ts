// Slowloris: hundreds of connections that trickle a request head or send nothing, reconnecting as
// soon as they are dropped, while a web server sends normal requests beside them on fresh connections.
import { describe, expect, test } from 'vitest';
import { Slowloris, type SlowlorisOptions } from '../src/attacks/slowloris';
import { LegitLoad } from '../src/legit-load';
import type { ServerProcess } from '../src/server-process';
import {
  expectMemoryWithin,
  expectServing,
  MEMORY_BOUNDS,
  type Memory,
  measureMemory,
  report,
  startServer,
  takeBaseline,
} from './helpers';

const ATTACK_SETTLE_MS = 2000;
const LEGIT_REQUESTS = 400;
const LEGIT_TIMEOUT_MS = 5000;
const ANSWERED_SHARE = 0.95;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the attack, then the legitimate requests beside it, and reports both and the server's memory. */
async function underSlowloris(
  name: string,
  server: ServerProcess,
  options: SlowlorisOptions,
): Promise<{ legit: LegitLoad; memory: Memory; attack: Slowloris }> {
  const baseline = await takeBaseline(server);
  const attack = new Slowloris(server.socketPath, options);
  await sleep(ATTACK_SETTLE_MS);
  const legit = new LegitLoad(server.socketPath, {
    concurrency: 4,
    timeoutMs: LEGIT_TIMEOUT_MS,
    requests: LEGIT_REQUESTS,
  });
  await legit.finished();
  const held = attack.open;
  const memory = await measureMemory(server, baseline);
  await attack.stop();
  report(name, {
    'legit answered': `${legit.answered} of ${legit.outcomes.total}`,
    outcomes: legit.outcomes.toString(),
    'p99 ms': Math.round(legit.percentileMs(0.99)),
    'attack connections open at the end': held,
    attack: attack.events.toString(),
    ...memory.figures,
  });
  return { legit, memory, attack };
}

describe('slowloris beside legitimate traffic', () => {
  test('at maxConnections, trickling and silent connections give way and normal requests are answered', async () => {
    const server = await startServer({ maxConnections: 50 });
    const { legit, memory } = await underSlowloris(
      'slowloris, maxConnections 50, default deadlines',
      server,
      {
        tricklers: 100,
        silent: 100,
        trickleEveryMs: 1000,
      },
    );
    expect(legit.answered).toBeGreaterThanOrEqual(LEGIT_REQUESTS * ANSWERED_SHARE);
    expectMemoryWithin(memory, MEMORY_BOUNDS);
    await expectServing(server);
  });

  test('without maxConnections, tricklers are answered 408 at paramsTimeout and normal requests are answered', async () => {
    const server = await startServer({ paramsTimeout: 1000 });
    const { legit, memory, attack } = await underSlowloris(
      'slowloris, paramsTimeout 1000, no maxConnections',
      server,
      {
        tricklers: 300,
        silent: 100,
        trickleEveryMs: 500,
      },
    );
    expect(legit.answered).toBeGreaterThanOrEqual(LEGIT_REQUESTS * ANSWERED_SHARE);
    expect(attack.events.get('trickler answered 408')).toBeGreaterThan(0);
    expectMemoryWithin(memory, MEMORY_BOUNDS);
    await expectServing(server);
  });
});
