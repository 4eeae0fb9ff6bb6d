// The soak: every hostile mix of the stress suite at once, with normal traffic beside it, against one
// server for SOAK_SECONDS (default 300), then a table of what happened. Not part of CI.
//   pnpm soak                       # from the repository root
//   SOAK_SECONDS=60 pnpm soak
//   STRESS_SEED=123 pnpm soak       # replay the fuzzer's streams
import type { ServeOptions } from '@fcgi/responder';
import { fuzz } from './attacks/fuzzer';
import { managementFlood } from './attacks/management-flood';
import { Slowloris } from './attacks/slowloris';
import { stalledBody } from './attacks/stalled-body';
import { unreadBodies } from './attacks/unread-bodies';
import { unterminatedParams } from './attacks/unterminated-params';
import { LegitLoad } from './legit-load';
import { formatMiB, MiB } from './memory';
import { seedFromEnv } from './prng';
import { ServerProcess } from './server-process';
import { Tally } from './tally';

const DEFAULT_SECONDS = 300;
/** Time between two rounds of each periodic attack. */
const ROUND_MS = 15_000;
/** How long a flooding or head-holding peer stays before it goes. */
const HOLD_MS = 5000;
const STALL_MS = 3000;
const SAMPLE_MS = 1000;
const SETTLE_MS = 2000;

// The defaults, except what makes each protection act within a soak of minutes: a connection limit
// for slowloris to press against, and deadlines of seconds.
const SERVE_OPTIONS: ServeOptions = {
  maxConnections: 256,
  paramsTimeout: 10_000,
  bodyTimeout: 10_000,
  sendTimeout: 10_000,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function soakSeconds(): number {
  const value = Number(process.env.SOAK_SECONDS ?? DEFAULT_SECONDS);
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`SOAK_SECONDS must be a positive number of seconds`);
  return value;
}

/** Runs `round` every ROUND_MS (after `offsetMs`) until `until`, counting the rounds. */
async function everyRound(until: number, offsetMs: number, round: () => Promise<void>): Promise<number> {
  let rounds = 0;
  await sleep(offsetMs);
  while (Date.now() < until) {
    const started = Date.now();
    await round();
    rounds++;
    await sleep(Math.max(0, Math.min(ROUND_MS - (Date.now() - started), until - Date.now())));
  }
  return rounds;
}

function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

async function main(): Promise<void> {
  const seconds = soakSeconds();
  const seed = seedFromEnv();
  const server = await ServerProcess.start(SERVE_OPTIONS);
  const path = server.socketPath;
  const until = Date.now() + seconds * 1000;
  console.log(
    `soak: ${seconds} s against pid ${server.pid}, options ${JSON.stringify(SERVE_OPTIONS)}, seed ${seed}`,
  );

  const startRss = server.baseline();
  let sampledPeak = startRss;
  const sampler = setInterval(() => {
    if (server.alive) sampledPeak = Math.max(sampledPeak, server.rss().rss);
  }, SAMPLE_MS);

  // Paced, so that normal traffic leaves the attackers their share of two cores.
  const legit = new LegitLoad(path, { concurrency: 8, timeoutMs: 5000, pauseMs: 10 });
  const slowloris = new Slowloris(path, { tricklers: 100, silent: 100, trickleEveryMs: 1000 });
  const floods = new Tally();
  const unread = new Tally();
  const params = new Tally();
  const stalled = new Tally();

  const [fuzzReport] = await Promise.all([
    fuzz(path, { seed, durationMs: seconds * 1000, concurrency: 8, maxWaitMs: 3000, quietMs: 150 }),
    everyRound(until, 0, async () => {
      const flood = await managementFlood(path, { records: 1_000_000, stallMs: STALL_MS });
      floods.add(flood.ended);
      await sleep(HOLD_MS);
      flood.peer.destroy();
    }),
    everyRound(until, ROUND_MS / 4, async () => {
      const result = await unreadBodies(path, {
        ids: 16,
        bodyBytes: 2 * MiB,
        stallMs: STALL_MS,
        answerWaitMs: HOLD_MS,
      });
      for (const [kind, count] of result.answers.counts) unread.add(kind, count);
      result.peer.destroy();
    }),
    everyRound(until, ROUND_MS / 2, async () => {
      const result = await unterminatedParams(path, {
        connections: 2,
        ids: 100,
        paramsBytes: 60_000,
        stallMs: STALL_MS,
      });
      await sleep(HOLD_MS);
      params.add('connections', result.peers.length);
      for (const peer of result.peers) peer.destroy();
    }),
    everyRound(until, (3 * ROUND_MS) / 4, async () => {
      const result = await stalledBody(path, { declaredBytes: 100, sentBytes: 10, waitMs: 15_000 });
      stalled.add(
        result.answer
          ? `${result.answer.status} after ${Math.round(result.elapsedMs / 1000)} s`
          : 'unanswered',
      );
      result.peer.destroy();
    }),
  ]);
  await slowloris.stop();
  await legit.stop();
  clearInterval(sampler);

  const alive = server.alive;
  let peakRss = sampledPeak;
  let endRss = Number.NaN;
  let endLive = Number.NaN;
  let errors: Record<string, number> = {};
  let samples: Record<string, string> = {};
  if (alive) {
    await sleep(SETTLE_MS);
    peakRss = Math.max(peakRss, server.rss().peak);
    const held = await server.held();
    endRss = held.rss;
    endLive = held.live;
    ({ errors, samples } = await server.errorReport());
  }
  const answeredShare = legit.outcomes.total === 0 ? 0 : (100 * legit.answered) / legit.outcomes.total;
  console.log(
    `\n${table([
      ['duration', `${seconds} s`],
      ['server', alive ? 'alive' : server.describeExit()],
      [
        'legit requests answered',
        `${legit.answered} of ${legit.outcomes.total} (${answeredShare.toFixed(2)}%)`,
      ],
      [
        'legit latency p50 / p99',
        `${legit.percentileMs(0.5).toFixed(1)} / ${legit.percentileMs(0.99).toFixed(1)} ms`,
      ],
      ['legit outcomes', legit.outcomes.toString()],
      [
        'fuzz streams',
        `${fuzzReport.streams} (${formatMiB(fuzzReport.bytesSent)}), ${fuzzReport.failureCount} failures`,
      ],
      ['fuzz answers', fuzzReport.answers.toString()],
      ['slowloris', slowloris.events.toString()],
      ['management floods (1M records)', floods.toString()],
      ['unread bodies (16 ids × 2 MiB)', unread.toString()],
      ['never-ending params (2 × 100 × 60 KB)', params.toString()],
      ['stalled bodies', stalled.toString()],
      [
        'server errors',
        Object.entries(errors)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, count]) => `${kind} ${count}`)
          .join(', ') || 'none',
      ],
      ['RSS start / peak / end', `${formatMiB(startRss)} / ${formatMiB(peakRss)} / ${formatMiB(endRss)}`],
      ['live at end (heap + Buffers)', formatMiB(endLive)],
    ])}`,
  );
  console.log('\nfirst message of each server error:');
  for (const [kind, message] of Object.entries(samples)) console.log(`  ${kind}: ${message}`);
  for (const failure of fuzzReport.failures)
    console.log(`fuzz failure, stream ${failure.stream} of seed ${seed}: ${failure.reason}`);
  await server.stop();
  if (!alive || fuzzReport.failureCount > 0) process.exitCode = 1;
}

await main();
